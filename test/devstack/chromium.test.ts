import { DEBIAN_CHROMIUM, ensureChromium, type ChromiumInstallDeps } from '../../src/devstack/chromium';

/** The install path, with apt-get and the file system stood in (the real one is exercised by every browser test's global setup). */
describe('ensureChromium', () => {
  const machine = (o: { installed?: string[]; root?: boolean; configured?: string; exitCodes?: number[]; installs?: boolean }) => {
    const files = new Set(o.installed ?? []);
    const ran: Array<{ line: string; frontend?: string }> = [];
    const codes = [...(o.exitCodes ?? [])];
    const deps: ChromiumInstallDeps = {
      exists: (p) => files.has(p),
      isRoot: () => o.root ?? true,
      configuredPath: () => o.configured,
      run: async (command, args, env) => {
        ran.push({ line: [command, ...args].join(' '), frontend: env.DEBIAN_FRONTEND });
        const code = codes.shift() ?? 0;
        if (code === 0 && args[0] === 'install' && o.installs !== false) files.add(DEBIAN_CHROMIUM);
        return code;
      },
    };
    return { deps, ran };
  };
  const log = () => {};

  it("uses Debian's chromium when it is there, without running anything", async () => {
    const m = machine({ installed: [DEBIAN_CHROMIUM], root: false });
    expect(await ensureChromium(log, m.deps)).toBe(DEBIAN_CHROMIUM);
    expect(m.ran).toEqual([]);
  });

  it('uses DROPS_CHROMIUM_PATH when set, and refuses one that does not exist', async () => {
    expect(await ensureChromium(log, machine({ installed: ['/opt/chrome/chrome'], configured: '/opt/chrome/chrome' }).deps)).toBe('/opt/chrome/chrome');
    const missing = machine({ installed: [DEBIAN_CHROMIUM], configured: '/opt/nothing' });
    await expect(ensureChromium(log, missing.deps)).rejects.toThrow('DROPS_CHROMIUM_PATH is /opt/nothing, which does not exist');
    expect(missing.ran).toEqual([]);
  });

  it('installs it as root with apt-get update, then a non-interactive apt-get install', async () => {
    const m = machine({});
    expect(await ensureChromium(log, m.deps)).toBe(DEBIAN_CHROMIUM);
    expect(m.ran).toEqual([
      { line: 'apt-get update', frontend: 'noninteractive' },
      { line: 'apt-get install -y chromium', frontend: 'noninteractive' },
    ]);
  });

  it('names the command to run when it cannot install it', async () => {
    const notRoot = machine({ root: false });
    await expect(ensureChromium(log, notRoot.deps)).rejects.toThrow('only root can install it: run apt-get update && apt-get install -y chromium');
    expect(notRoot.ran).toEqual([]);
    const offline = machine({ exitCodes: [100] });
    await expect(ensureChromium(log, offline.deps)).rejects.toThrow('apt-get update failed (exit 100): run apt-get update && apt-get install -y chromium');
    expect(offline.ran).toHaveLength(1);
    const noBinary = machine({ installs: false });
    await expect(ensureChromium(log, noBinary.deps)).rejects.toThrow(`${DEBIAN_CHROMIUM} is missing`);
  });
});
