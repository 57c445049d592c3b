import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { signalName, signalNumber, SyscallError, UnsupportedError } from "../mod.ts";

describe("signalNumber / signalName", () => {
  test("map classic names, short and lower-case names, and numbers", () => {
    assert.equal(signalNumber("SIGTERM"), 15);
    assert.equal(signalNumber("TERM"), 15);
    assert.equal(signalNumber("sigkill"), 9);
    assert.equal(signalNumber("SIGIOT"), 6);
    assert.equal(signalNumber(0), 0);
    assert.equal(signalNumber(64), 64);
    assert.equal(signalName(15), "SIGTERM");
    assert.equal(signalName(6), "SIGABRT");
    assert.equal(signalName(29), "SIGIO");
    assert.equal(signalName(0), null);
    assert.equal(signalName(65), null);
  });

  test("map real-time signals relative to glibc's SIGRTMIN (34) and SIGRTMAX (64)", () => {
    assert.equal(signalNumber("SIGRTMIN"), 34);
    assert.equal(signalNumber("SIGRTMIN+3"), 37);
    assert.equal(signalNumber("SIGRTMAX"), 64);
    assert.equal(signalNumber("SIGRTMAX-2"), 62);
    assert.equal(signalName(34), "SIGRTMIN");
    assert.equal(signalName(37), "SIGRTMIN+3");
    for (let n = 1; n <= 64; n++) {
      const name = signalName(n);
      if (name !== null) assert.equal(signalNumber(name as never), n, name);
    }
  });

  test("reject unknown names with TypeError and bad numbers with RangeError", () => {
    for (const bad of ["SIGFOO", "", "SIGRTMIN-1", "SIGRTMAX+1", "SIGRTMIN+31", "15"]) {
      assert.throws(() => signalNumber(bad), TypeError, bad);
    }
    for (const bad of [-1, 65, 1.5, NaN]) assert.throws(() => signalNumber(bad), RangeError, String(bad));
    for (const bad of [null, undefined, {}, 15n]) assert.throws(() => signalNumber(bad), TypeError);
  });
});

describe("SyscallError", () => {
  test("carries errno, code and syscall, and formats its message", () => {
    const e = new SyscallError({ syscall: "pidfd_open", errno: 3, subject: "4242" });
    assert.ok(e instanceof Error);
    assert.equal(e.name, "SyscallError");
    assert.equal(e.errno, 3);
    assert.equal(e.code, "ESRCH");
    assert.equal(e.syscall, "pidfd_open");
    assert.equal(e.message, "pidfd_open(4242) failed: ESRCH (No such process)");
    assert.equal(e.description, "No such process");
    assert.equal(e.detail, undefined);
    const cause = new Error("inner");
    const withDetail = new SyscallError({
      syscall: "pidfd_open",
      errno: 24,
      subject: "1",
      cause,
      detail: "raise the limit",
    });
    assert.equal(withDetail.message, "pidfd_open(1) failed: EMFILE (Too many open files): raise the limit");
    assert.equal(withDetail.cause, cause);
    assert.equal(withDetail.detail, "raise the limit");
    assert.equal(new SyscallError({ syscall: "x", errno: 999 }).code, "E999");
  });

  test("UnsupportedError names the feature", () => {
    const e = new UnsupportedError("pidfs", "needs Linux 6.9");
    assert.equal(e.name, "UnsupportedError");
    assert.equal(e.feature, "pidfs");
  });
});
