/** Version order, on its own so that reading a version costs no crypto (status is on the start-up budget). */

/**
 * Compare two versions as semver does (calver-week versions are semver): numeric dot parts,
 * a pre-release sorts before its release; build metadata is ignored. Non-numeric parts compare
 * as text so that any scheme still gets a total order.
 */
export function compareVersions(a: string, b: string): number {
  const split = (v: string) => {
    const core = v.replace(/^v/, '').split('+')[0]!;
    const dash = core.indexOf('-');
    return dash < 0 ? { main: core, pre: null } : { main: core.slice(0, dash), pre: core.slice(dash + 1) };
  };
  const parts = (s: string) => s.split('.');
  const cmpPart = (x: string | undefined, y: string | undefined): number => {
    if (x === y) return 0;
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const nx = /^\d+$/.test(x),
      ny = /^\d+$/.test(y);
    if (nx && ny) {
      // As digit strings, not Numbers: past 2^53 two different numbers read as one double.
      const dx = x.replace(/^0+(?=\d)/, ''),
        dy = y.replace(/^0+(?=\d)/, '');
      if (dx.length !== dy.length) return dx.length < dy.length ? -1 : 1;
      if (dx !== dy) return dx < dy ? -1 : 1;
      return Math.sign(x.length - y.length); // 01 after 1: still a total order
    }
    if (nx !== ny) return nx ? -1 : 1;
    return x < y ? -1 : 1;
  };
  const cmpList = (x: string[], y: string[]) => {
    for (let i = 0; i < Math.max(x.length, y.length); i++) {
      const c = cmpPart(x[i], y[i]);
      if (c) return c;
    }
    return 0;
  };
  const A = split(a),
    B = split(b);
  const main = cmpList(parts(A.main), parts(B.main));
  if (main) return main;
  if (A.pre === B.pre) return 0;
  if (A.pre === null) return 1;
  if (B.pre === null) return -1;
  return cmpList(parts(A.pre), parts(B.pre));
}
