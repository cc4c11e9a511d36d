/**
 * SIMULATOR — the payment simulator's hosted checkout page, as HTML (the entrant's browser posts
 * our pay page's form here). Clearly the simulator's: it charges nothing. Self-contained (inline
 * CSS, no script), readable at 360 px.
 */

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escape(title)}</title>
<style>
  body { margin: 0; font: 1.0625rem/1.5 system-ui, sans-serif; background: #fff8e1; color: #1b1b1b; }
  main { max-width: 32rem; margin: 0 auto; padding: 1rem; }
  .banner { background: #6d4c00; color: #fff; padding: 0.5rem 1rem; font-weight: 700; text-align: center; }
  button { display: block; width: 100%; padding: 0.875rem; margin: 0 0 0.75rem; font: inherit; font-weight: 600; border: 0; border-radius: 0.5rem; color: #fff; background: #0b57d0; cursor: pointer; }
  button.secondary { background: #5f6368; }
</style>
</head>
<body>
<div class="banner">Payment SIMULATOR: test checkout, no real money</div>
<main>
${body}
</main>
</body>
</html>
`;
}

/** The checkout form for an intent still waiting for a payment (it posts to its own URL). */
export function checkoutFormPage(amount: string, action: string): string {
  return page(
    'Simulated checkout',
    `<h1>Pay ${escape(amount)}</h1>
<form method="post" action="${escape(action)}">
  <button type="submit" name="outcome" value="pay" data-testid="pay-button">Pay ${escape(amount)}</button>
  <button type="submit" name="outcome" value="decline" class="secondary">Simulate a declined card</button>
</form>`,
  );
}

/** What the checkout answered: paid (or authorised), declined, or refused (window closed). */
export function checkoutResultPage(status: number, intentStatus: string | null, message: string | null): string {
  const ok = status === 200;
  const result = ok ? (intentStatus === 'requires_capture' ? 'authorized' : intentStatus === 'processing' ? 'processing' : 'paid') : 'failed';
  const text = ok ? `Payment ${result}. You can close this page: the drop's page shows your order.` : `Payment failed: ${message ?? 'refused'}.`;
  return page('Simulated checkout', `<h1>${ok ? 'Thank you' : 'Not paid'}</h1>\n<p data-testid="payment-result" data-result="${result}">${escape(text)}</p>`);
}
