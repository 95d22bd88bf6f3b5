/** `fn` called on the first call, then at most once per `ms` with calls in between folded into one at its end. */
export function atMostEvery(ms: number, fn: () => void): { call: () => void; cancel: () => void } {
  let timer: NodeJS.Timeout | undefined;
  let pending = false;
  const open = () => {
    timer = setTimeout(() => {
      timer = undefined;
      if (!pending) return;
      pending = false;
      fn();
      open();
    }, ms);
  };
  return {
    call: () => {
      if (timer) {
        pending = true;
        return;
      }
      fn();
      open();
    },
    cancel: () => clearTimeout(timer),
  };
}
