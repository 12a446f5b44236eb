import { describe, expect, it } from 'vitest';
import { consumerProblems } from './event-consumers.js';
import { EVENT_TOPICS } from './events.js';

describe('consumerProblems', () => {
  const all = EVENT_TOPICS.map((topic, i) => ({ id: `C.on${i}`, topic }));

  it('finds nothing when every event has a consumer and every consumer an event', () => {
    expect(consumerProblems(EVENT_TOPICS, all)).toEqual([]);
  });

  it('names the events nobody consumes', () => {
    expect(consumerProblems(['a.x', 'b.y', 'c.z'], [{ id: 'C.onA', topic: 'a.x' }])).toEqual(['events without a consumer: b.y, c.z']);
  });

  it('names the consumers of events the map does not have', () => {
    expect(
      consumerProblems(
        ['a.x'],
        [
          { id: 'C.onA', topic: 'a.x' },
          { id: 'D.onQ', topic: 'q.q' },
        ],
      ),
    ).toEqual(['consumers of events not in the event map: D.onQ (q.q)']);
  });

  it('names a consumer id found twice', () => {
    expect(
      consumerProblems(
        ['a.x'],
        [
          { id: 'C.onA', topic: 'a.x' },
          { id: 'C.onA', topic: 'a.x' },
        ],
      ),
    ).toEqual(['consumers declared twice: C.onA']);
  });
});
