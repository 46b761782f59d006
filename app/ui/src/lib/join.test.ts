import { describe, expect, it } from 'vitest';
import { codeGroups, joinLink, parseJoinLink, qrSvg } from './join';

describe('join links', () => {
  it('round-trips a relay and a code', () => {
    const link = joinLink('https://relay.example.com:8443/kept', 'AB12-CD34');
    expect(link).toBe('kept://join?relay=https%3A%2F%2Frelay.example.com%3A8443%2Fkept&invite=AB12-CD34');
    expect(parseJoinLink(`  ${link} `)).toEqual({ relay: 'https://relay.example.com:8443/kept', code: 'AB12-CD34' });
  });
  it('reads code= too, and refuses anything else', () => {
    expect(parseJoinLink('kept://join?relay=http%3A%2F%2F10.0.0.2%3A8080&code=x')).toEqual({
      relay: 'http://10.0.0.2:8080',
      code: 'x',
    });
    expect(parseJoinLink('AB12-CD34')).toBeNull();
    expect(parseJoinLink('kept://join?relay=https%3A%2F%2Fr')).toBeNull();
    expect(parseJoinLink('https://r/join?relay=a&invite=b')).toBeNull();
  });
  it('draws an SVG', async () => {
    expect(await qrSvg(joinLink('https://r', 'c'))).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);
  });
});

describe('invite codes on screen', () => {
  it('are read in groups of four', () => {
    expect(codeGroups('abcdefghij')).toEqual(['abcd', 'efgh', 'ij']);
    expect(codeGroups('')).toEqual([]);
    expect(codeGroups('x'.repeat(27)).length).toBe(7);
    // The relay's invite codes come in groups of five already.
    expect(codeGroups('K7M2P-XW3QA-HT9RC-5NVZE')).toEqual(['K7M2P', 'XW3QA', 'HT9RC', '5NVZE']);
  });
});
