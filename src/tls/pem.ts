// PEM certificates in a text: what a CA file holds (one or a chain), whatever else is around them.
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Each `-----BEGIN CERTIFICATE-----` … `-----END CERTIFICATE-----` block of the text, in order. */
export function pemCertificates(text: string): string[] {
  return text.match(PEM_CERTIFICATE) ?? [];
}
