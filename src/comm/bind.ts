/**
 * Methods that work unbound: `const { send, recv } = world` is a natural way to write a deck,
 * and a prototype method called without its object would fail deep inside with a TypeError.
 * Objects that decks hold for the whole run (communicators, grids, distributed arrays) get
 * their methods bound once, when made.
 */

/**
 * @internal Gives `obj` an own, bound, non-enumerable copy of every method on its prototype
 * chain (up to Object.prototype; accessors, the constructor and the names in `internal`
 * excepted), so each can be called detached from the object. Local; costs a few microseconds
 * per object. `internal` names the helpers the class calls on itself: left on the prototype, a
 * call `this.helper()` reaches the one shared function, which the compiler inlines, instead of
 * a bound copy per object (a call site that meets two objects then meets two functions).
 */
export function bindMethods(obj: object, internal: readonly string[] = []): void {
  const seen = new Set<string | symbol>(['constructor', ...internal]);
  for (let proto = Object.getPrototypeOf(obj); proto !== null && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const name of Reflect.ownKeys(proto)) {
      if (seen.has(name)) continue;
      seen.add(name);
      const d = Object.getOwnPropertyDescriptor(proto, name)!;
      if (typeof d.value !== 'function' || Object.prototype.hasOwnProperty.call(obj, name)) continue;
      Object.defineProperty(obj, name, { value: (d.value as (...a: unknown[]) => unknown).bind(obj), writable: true, configurable: true, enumerable: false });
    }
  }
}
