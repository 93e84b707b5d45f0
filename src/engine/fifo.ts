/** An array-backed queue with O(1) shift. */
export class Fifo<T> {
  private items: T[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head++];
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** The oldest item, without removing it. */
  first(): T | undefined {
    return this.head < this.items.length ? this.items[this.head] : undefined;
  }

  /** The first `n` items, oldest first, without removing them. */
  peek(n: number): T[] {
    return this.items.slice(this.head, this.head + n);
  }
}
