export { AlertEventsPublisher } from './alert-events.publisher.js';
export { AlertStreamWorkerModule } from './alert-stream-worker.module.js';
export { alertEventsChannel, type AlertStreamMessage, type StreamedAlertEvent } from './alert-stream.channel.js';
export { AlertStreamError, AlertStreamErrorCode } from './alert-stream.error.js';
export { AlertStreamModule } from './alert-stream.module.js';
export { AlertStreamService } from './alert-stream.service.js';
export { MemberFanout, publishMemberEvents, type MemberFanoutOptions, type MemberStreamMessage } from './member-fanout.js';
export { MemberStreamListener } from './member-stream-listener.js';
export {
  alertStreamWsOptions,
  bearerFromConnectionParams,
  type PreparedOperation,
  type PrepareOperation,
  type StreamContext,
  type StreamSocket,
} from './graphql-ws.options.js';
export { CLOSE_FORBIDDEN, CLOSE_UNAUTHORIZED, refusalOf, type SocketRefusal } from './socket-close.js';
export { SOCKET_WATCH_INTERVAL_MS, SocketWatchService } from './socket-watch.service.js';
export { AlertEventView } from './models/alert-event.model.js';
