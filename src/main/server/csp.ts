/**
 * The renderer's Content-Security-Policy (SPEC §3): only our own scripts, no eval, images
 * only from ourselves or data: URLs (previews, galleries), network only back to ourselves.
 * Inline styles are allowed because Svelte sets `style` attributes for bars and sizes.
 */
export const RENDERER_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self' ws://127.0.0.1:*",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'"
].join('; ')
