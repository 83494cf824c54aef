/**
 * The enrolment QR code, drawn in the terminal by the `qrcode` package (loaded only here).
 * The package name is not a literal in the import, so the build needs neither the package
 * nor its types; QrCodeApi declares the slice of its API used here.
 */

interface QrCodeApi {
  toString(text: string, options: { type: 'terminal'; small?: boolean; errorCorrectionLevel?: 'L' | 'M' | 'Q' | 'H' }): Promise<string>;
}

const QRCODE_PACKAGE = 'qrcode';

/** The QR code as terminal text, or undefined when the `qrcode` package is not installed. */
export async function renderQr(text: string, load: () => Promise<unknown> = () => import(QRCODE_PACKAGE)): Promise<string | undefined> {
  let mod: { default?: QrCodeApi } & Partial<QrCodeApi>;
  try {
    mod = (await load()) as typeof mod;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') return undefined;
    throw e;
  }
  const api = (mod.default ?? mod) as QrCodeApi;
  // `small` draws two rows per line with half blocks, so the code fits a normal terminal.
  return api.toString(text, { type: 'terminal', small: true, errorCorrectionLevel: 'M' });
}
