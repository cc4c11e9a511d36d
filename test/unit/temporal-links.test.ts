import { temporalUiLink } from '../../src/services/temporal-links';

describe('temporalUiLink', () => {
  it('links a workflow in a namespace, the id URI-encoded', () => {
    expect(temporalUiLink('http://127.0.0.1:8233', 'default', 'drop:spring-tee')).toBe('http://127.0.0.1:8233/namespaces/default/workflows/drop%3Aspring-tee');
  });

  it('puts one slash between the base and the path, whatever the base ends with', () => {
    expect(temporalUiLink('https://ui.example.com/temporal/', 'prod', 'order:a:e1')).toBe(
      'https://ui.example.com/temporal/namespaces/prod/workflows/order%3Aa%3Ae1',
    );
    expect(temporalUiLink('https://ui.example.com//', 'prod', 'x')).toBe('https://ui.example.com/namespaces/prod/workflows/x');
  });

  it('encodes characters that would change the path or start a query', () => {
    expect(temporalUiLink('http://ui', 'my ns', 'a/b?c#d e')).toBe('http://ui/namespaces/my%20ns/workflows/a%2Fb%3Fc%23d%20e');
  });
});
