/**
 * A failure's text with every e-mail address replaced by `<address>`: an SMTP server's answer may
 * quote the recipient, and that text is stored (`notifications.last_error`), logged and shown to
 * support, none of which may hold personal data.
 */
export function withoutAddresses(text: string): string {
  return text.replace(/[^\s<>()[\]"',;:]+@[^\s<>()[\]"',;:]+/g, '<address>');
}
