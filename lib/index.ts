// The library behind the bert-cli command: import { native } from 'bert-cli'.
export { native, packageRoot } from './native.js';
export type { Isa, NativeEngine } from './native.js';
