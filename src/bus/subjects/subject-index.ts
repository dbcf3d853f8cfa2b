/**
 * Patterns → values, matched against concrete topics: a token trie (as NATS's sublist) with a
 * result cache per topic, cleared on any change. Publish paths hit the cache: topics repeat.
 * @module
 */
import { checkPattern } from './grammar.js';

interface Node<T> {
  readonly children: Map<string, Node<T>>;
  /** Values whose pattern ends at this node. */
  readonly here: Set<T>;
  /** Values whose pattern ends with `>` below this node. */
  readonly rest: Set<T>;
}

const node = <T>(): Node<T> => ({ children: new Map(), here: new Set(), rest: new Set() });
const CACHE_LIMIT = 4096;

export class SubjectIndex<T> {
  readonly #root: Node<T> = node();
  #cache = new Map<string, readonly T[]>();
  #size = 0;

  get size(): number {
    return this.#size;
  }

  add(pattern: string, value: T): void {
    const tokens = checkPattern(pattern);
    let n = this.#root;
    for (let i = 0; i < tokens.length; i++) {
      const tok = tokens[i]!;
      if (tok === '>') {
        n.rest.add(value);
        this.#changed(1);
        return;
      }
      let next = n.children.get(tok);
      if (!next) n.children.set(tok, (next = node()));
      n = next;
    }
    n.here.add(value);
    this.#changed(1);
  }

  remove(pattern: string, value: T): void {
    const tokens = pattern.split('.');
    const path: Array<[Node<T>, string]> = [];
    let n: Node<T> | undefined = this.#root;
    for (const tok of tokens) {
      if (tok === '>') {
        if (n.rest.delete(value)) this.#changed(-1);
        this.#prune(path, n);
        return;
      }
      const next: Node<T> | undefined = n.children.get(tok);
      if (!next) return;
      path.push([n, tok]);
      n = next;
    }
    if (n.here.delete(value)) this.#changed(-1);
    this.#prune(path, n);
  }

  /** Values whose pattern matches `topic`, each once. The array is shared: do not change it. */
  match(topic: string): readonly T[] {
    const hit = this.#cache.get(topic);
    if (hit) return hit;
    const out = new Set<T>();
    this.#collect(this.#root, topic.split('.'), 0, out);
    const result = [...out];
    if (this.#cache.size >= CACHE_LIMIT) this.#cache.clear();
    this.#cache.set(topic, result);
    return result;
  }

  #collect(n: Node<T>, tokens: string[], i: number, out: Set<T>): void {
    if (i === tokens.length) {
      for (const v of n.here) out.add(v);
      return;
    }
    for (const v of n.rest) out.add(v);
    const exact = n.children.get(tokens[i]!);
    if (exact) this.#collect(exact, tokens, i + 1, out);
    const star = n.children.get('*');
    if (star) this.#collect(star, tokens, i + 1, out);
  }

  #prune(path: Array<[Node<T>, string]>, leaf: Node<T>): void {
    let n = leaf;
    for (let i = path.length - 1; i >= 0; i--) {
      if (n.here.size || n.rest.size || n.children.size) return;
      const [parent, tok] = path[i]!;
      parent.children.delete(tok);
      n = parent;
    }
  }

  #changed(delta: number): void {
    this.#size += delta;
    if (this.#cache.size) this.#cache = new Map();
  }
}
