export { AlertStreamWorkerModule } from './alert-stream-worker.module.js';
export { AlertStreamError, AlertStreamErrorCode } from './alert-stream.error.js';
export { AlertStreamModule } from './alert-stream.module.js';
export { alertStreamWsOptions, type PreparedOperation, type StreamContext, type StreamSocket } from './graphql-ws.options.js';
export { refusalOf } from './socket-close.js';
export { SocketWatchService } from './socket-watch.service.js';
export { MemberFanout, publishMemberEvents, type MemberStreamMessage } from './member-fanout.js';
export { MemberStreamListener } from './member-stream-listener.js';
