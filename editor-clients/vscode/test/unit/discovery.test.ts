import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type DiscoveryProbe, expandPath, findServer, isPythonExecutable, whichOnPath } from "../../src/discovery";

function probe(overrides: Partial<DiscoveryProbe> & { executables?: string[]; withTandem?: string[] }): DiscoveryProbe {
  const executables = new Set(overrides.executables ?? []);
  const withTandem = new Set(overrides.withTandem ?? []);
  const calls: string[] = [];
  return {
    configuredPath: null,
    extraArgs: [],
    workspaceFolder: "/ws",
    home: "/home/me",
    pathEnv: "/usr/local/bin:/usr/bin",
    platform: "linux",
    isExecutable: (file) => executables.has(file),
    activePython: () => Promise.resolve(undefined),
    hasTandemModule: (python) => {
      calls.push(python);
      return Promise.resolve(withTandem.has(python));
    },
    ...overrides,
  };
}

describe("findServer", () => {
  test("the setting wins over the interpreter and PATH", async () => {
    const found = await findServer(
      probe({
        configuredPath: "/opt/tandem/bin/tandem",
        executables: ["/opt/tandem/bin/tandem", "/usr/bin/tandem"],
        activePython: () => Promise.resolve("/venv/bin/python"),
        withTandem: ["/venv/bin/python"],
        extraArgs: ["-vv"],
      }),
    );
    assert.deepEqual(found, {
      ok: true,
      server: { command: "/opt/tandem/bin/tandem", args: ["serve", "-vv"], source: "setting" },
    });
  });

  test("a Python interpreter in the setting runs the module", async () => {
    const found = await findServer(probe({ configuredPath: "~/venv/bin/python3", executables: ["/home/me/venv/bin/python3"] }));
    assert.ok(found.ok);
    assert.deepEqual(found.server, {
      command: "/home/me/venv/bin/python3",
      args: ["-m", "tandem", "serve"],
      source: "setting",
    });
  });

  test("a setting that names nothing runnable is an error, not a fallback", async () => {
    const found = await findServer(
      probe({ configuredPath: "/nope/tandem", executables: ["/usr/bin/tandem"] }),
    );
    assert.equal(found.ok, false);
    assert.ok(!found.ok && found.message.includes("tandem.server.path") && found.message.includes("/nope/tandem"));
  });

  test("then the active interpreter, when Tandem is installed in it", async () => {
    const found = await findServer(
      probe({
        executables: ["/usr/bin/tandem"],
        activePython: () => Promise.resolve("/ws/.venv/bin/python"),
        withTandem: ["/ws/.venv/bin/python"],
      }),
    );
    assert.ok(found.ok);
    assert.deepEqual(found.server, { command: "/ws/.venv/bin/python", args: ["-m", "tandem", "serve"], source: "python" });
  });

  test("an interpreter without Tandem falls through to PATH", async () => {
    const found = await findServer(
      probe({ executables: ["/usr/bin/tandem"], activePython: () => Promise.resolve("/ws/.venv/bin/python") }),
    );
    assert.ok(found.ok);
    assert.deepEqual(found.server, { command: "/usr/bin/tandem", args: ["serve"], source: "path" });
  });

  test("nothing found says what was tried and what to do", async () => {
    const found = await findServer(probe({ activePython: () => Promise.resolve("/ws/.venv/bin/python") }));
    assert.equal(found.ok, false);
    if (found.ok) return;
    assert.match(found.message, /pip install tandem-ls/);
    assert.match(found.message, /tandem\.server\.path/);
    assert.equal(found.tried.length, 2);
    assert.match(found.tried[0], /\/ws\/\.venv\/bin\/python.*not installed/);
    assert.match(found.tried[1], /PATH/);
  });
});

describe("helpers", () => {
  test("python executables are recognised by name", () => {
    for (const name of ["/usr/bin/python", "python3", "/x/python3.12", "C:\\Py\\python.exe", "pythonw.exe"]) {
      assert.ok(isPythonExecutable(name), name);
    }
    for (const name of ["/usr/bin/tandem", "/x/python-config", "/x/ipython"]) {
      assert.ok(!isPythonExecutable(name), name);
    }
  });

  test("paths expand ~ and ${workspaceFolder}, relative ones from the folder", () => {
    const where = { home: "/home/me", workspaceFolder: "/ws" };
    assert.equal(expandPath("~/bin/tandem", where), "/home/me/bin/tandem");
    assert.equal(expandPath("${workspaceFolder}/.venv/bin/python", where), "/ws/.venv/bin/python");
    assert.equal(expandPath(".venv/bin/tandem", where), "/ws/.venv/bin/tandem");
    assert.equal(expandPath("tandem", where), "tandem");
  });

  test("PATH is searched in order", () => {
    const found = whichOnPath("tandem", {
      pathEnv: "/a::/b:/c",
      platform: "linux",
      isExecutable: (f) => f === "/b/tandem" || f === "/c/tandem",
    });
    assert.equal(found, "/b/tandem");
  });

  test("PATH on Windows tries .exe", () => {
    const found = whichOnPath("tandem", {
      pathEnv: "C:\\a;C:\\Scripts",
      platform: "win32",
      isExecutable: (f) => f === "C:\\Scripts\\tandem.exe",
    });
    assert.equal(found, "C:\\Scripts\\tandem.exe");
  });
});
