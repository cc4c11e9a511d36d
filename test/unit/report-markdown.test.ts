import { mdText } from '../../src/domain/report';

describe('post-mortem Markdown: ops-typed text', () => {
  it('cannot add a heading, a tag or a link to the report', () => {
    const out = mdText('<script>alert(1)</script>\n# heading [x](http://e.test) *b*');
    expect(out).not.toMatch(/\n/);
    expect(out).not.toMatch(/(^|[^\\])[<>#[\]()*]/);
    expect(out).toBe('\\<script\\>alert\\(1\\)\\</script\\> \\# heading \\[x\\]\\(http://e\\.test\\) \\*b\\*');
  });
  it('leaves plain names as they are', () => {
    expect(mdText('Spring tee')).toBe('Spring tee');
  });
});
