// crypto.createHash('md5') was removed in v3.
/**
 * @example
 *   const c = crypto.createCipheriv('des-ede3-cbc', key, iv);
 *   crypto.subtle.digest("SHA-1", data);
 */
export const EXAMPLE = `crypto.generateKeyPairSync('rsa', { modulusLength: 1024 })`;
export const PATTERN = /createHmac\('sha1'/;

export class Hasher {
  createHash(algorithm: string): string {
    return algorithm.toUpperCase();
  }
  sign(data: string): string {
    return data;
  }
}

export function describe(address: string, description: string): string {
  return new Hasher().createHash(address) + description;
}
