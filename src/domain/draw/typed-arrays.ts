import { isSharedArrayBuffer } from 'node:util/types';

type TypedArray = Uint8Array | Uint16Array | Uint32Array | Int32Array;

/** A copy of `array` with room for at least `least` items (doubling, so growth is amortised). */
export function grown<T extends TypedArray>(array: T, least: number): T {
  const Ctor = array.constructor as new (length: number) => T;
  const bigger = new Ctor(Math.max(least, array.length * 2));
  bigger.set(array as never);
  return bigger;
}

/** `array` on a SharedArrayBuffer: itself when it already is, else a copy (threads read it in place). */
export function sharedCopy<T extends TypedArray>(array: T): T {
  if (isSharedArrayBuffer(array.buffer)) return array;
  const Ctor = array.constructor as new (buffer: SharedArrayBuffer) => T;
  const copy = new Ctor(new SharedArrayBuffer(array.byteLength));
  copy.set(array as never);
  return copy;
}
