// Known-answer vectors used by the UI to display examples.
export const VECTORS = [
  { algorithm: 'sha256', input: 'abc', output: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad' },
  { algorithm: 'md5', input: '', output: 'd41d8cd98f00b204e9800998ecf8427e' },
  { algorithm: 'aes-128-ecb', key: '2b7e151628aed2a6abf7158809cf4f3c', output: '3ad77bb40d7a3660a89ecaf32466ef97' },
];
