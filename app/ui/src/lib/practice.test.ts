import { describe, expect, it } from 'vitest';
import { fileMime, fmtMoment, fromBase64, reviewOrder, stateWord, toBase64, weakest } from './practice';
import type { ChallengeView } from './bindings';

function view(state: ChallengeView['state'], due: string, rep: string, scores: Record<string, number> = {}): ChallengeView {
  return {
    challenge: { id: rep + due, prompt: 'p', interaction: 'demo', due, by: 'm', at: '', group: 'g', withdrawn: false, answer: null },
    rep,
    rep_name: rep,
    by_name: 'Mia',
    state,
    criteria: Object.keys(scores),
    scores,
    scored_by: '',
    comments: [],
    here: false,
    sent: false,
    problem: null,
  };
}

describe('practice', () => {
  it('round-trips bytes through base64, long ones too', () => {
    const bytes = new Uint8Array(100_000).map((_, i) => i % 251);
    expect(fromBase64(toBase64(bytes))).toEqual(bytes);
  });
  it('names a picked file’s media type from the browser or the file name', () => {
    expect(fileMime('answer.WAV', '')).toBe('audio/wav');
    expect(fileMime('x.bin', 'audio/ogg')).toBe('audio/ogg');
    expect(fileMime('notes.txt', 'text/plain')).toBeNull();
  });
  it('shows moments as minutes:seconds', () => {
    expect(fmtMoment(75_400)).toBe('1:15');
    expect(fmtMoment(0)).toBe('0:00');
  });
  it('speaks to the rep about their own challenge and to the manager about the rep’s', () => {
    expect(stateWord('answered', true)).toBe('Sent, waiting for feedback');
    expect(stateWord('answered', false)).toBe('Ready to review');
  });
  it('puts answers to review first, then overdue, then open, then scored', () => {
    const order = reviewOrder([
      view('reviewed', '2026-12-01', 'A'),
      view('open', '2026-12-03', 'B'),
      view('answered', '2026-12-05', 'C'),
      view('overdue', '2026-11-30', 'D'),
    ]).map((v) => v.rep);
    expect(order).toEqual(['C', 'D', 'B', 'A']);
  });
  it('suggests the weakest criterion below good for the development plan', () => {
    expect(weakest(view('reviewed', 'x', 'A', { opening: 1, close: 2, rapport: 4 }))).toBe('opening');
    expect(weakest(view('reviewed', 'x', 'A', { opening: 3 }))).toBeNull();
  });
});
