import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as c from "../ffi/constants.ts";
import { bindAllSymbols, libc, PIDFD_INFO, POLLFD, SIGINFO, STAT } from "../ffi/mod.ts";
import { SYMBOLS } from "../ffi/symbols.ts";

describe("ffi constants", () => {
  test("ioctl composers produce the UAPI request values (kernel-api.md §6, §7)", () => {
    assert.equal(c._IO(0xff, 1), 0xff01);
    assert.equal(c._IOR(0xb7, 6, 4), 0x8004b706);
    assert.equal(c._IOW(0xb7, 6, 4), 0x4004b706);
    assert.equal(c._IOWR(0xff, 11, 72), 0xc048ff0b);
    const expected: Record<string, number> = {
      PIDFD_GET_CGROUP_NAMESPACE: 0xff01,
      PIDFD_GET_IPC_NAMESPACE: 0xff02,
      PIDFD_GET_MNT_NAMESPACE: 0xff03,
      PIDFD_GET_NET_NAMESPACE: 0xff04,
      PIDFD_GET_PID_NAMESPACE: 0xff05,
      PIDFD_GET_PID_FOR_CHILDREN_NAMESPACE: 0xff06,
      PIDFD_GET_TIME_NAMESPACE: 0xff07,
      PIDFD_GET_TIME_FOR_CHILDREN_NAMESPACE: 0xff08,
      PIDFD_GET_USER_NAMESPACE: 0xff09,
      PIDFD_GET_UTS_NAMESPACE: 0xff0a,
      PIDFD_GET_INFO: 0xc048ff0b,
      NS_GET_USERNS: 0xb701,
      NS_GET_PARENT: 0xb702,
      NS_GET_NSTYPE: 0xb703,
      NS_GET_OWNER_UID: 0xb704,
      NS_GET_MNTNS_ID: 0x8008b705,
      NS_GET_PID_FROM_PIDNS: 0x8004b706,
      NS_GET_TGID_FROM_PIDNS: 0x8004b707,
      NS_GET_PID_IN_PIDNS: 0x8004b708,
      NS_GET_TGID_IN_PIDNS: 0x8004b709,
      NS_GET_ID: 0x8008b70d,
    };
    for (const [name, value] of Object.entries(expected)) {
      assert.equal((c as unknown as Record<string, number>)[name], value, name);
    }
  });

  test("syscall numbers match the x86_64 and aarch64 tables", () => {
    assert.deepEqual(c.SYSCALLS.x86_64, {
      pidfd_send_signal: 424,
      pidfd_open: 434,
      clone3: 435,
      pidfd_getfd: 438,
      process_madvise: 440,
      process_mrelease: 448,
      waitid: 247,
      listns: 470,
    });
    assert.equal(c.SYSCALLS.aarch64.waitid, 95);
    assert.equal(c.SYSCALLS.aarch64.listns, 470);
    assert.equal(c.SYSCALLS.aarch64.pidfd_open, 434);
  });

  test("struct layouts match kernel-api.md §5", () => {
    assert.deepEqual({ ...PIDFD_INFO }, {
      size: 72,
      mask: 0,
      cgroupid: 8,
      pid: 16,
      tgid: 20,
      ppid: 24,
      ruid: 28,
      rgid: 32,
      euid: 36,
      egid: 40,
      suid: 44,
      sgid: 48,
      fsuid: 52,
      fsgid: 56,
      exit_code: 60,
      coredump_mask: 64,
    });
    assert.deepEqual({ ...POLLFD }, { size: 8, fd: 0, events: 4, revents: 6 });
    assert.equal(SIGINFO.size, 128);
    assert.equal(SIGINFO.si_pid, 16);
    assert.equal(SIGINFO.si_status, 24);
    assert.equal(STAT.st_ino, 8);
  });

  test("every C int parameter is declared i32 or u32, never a 64-bit type", () => {
    for (const [name, def] of Object.entries(SYMBOLS)) {
      for (const p of def.parameters) {
        assert.ok(["i32", "u32", "buffer", "usize"].includes(p), `${name} has parameter type ${p}`);
      }
    }
  });

  test("every symbol of the table binds in this libc; only optional ones may be missing", () => {
    bindAllSymbols();
    const table = libc as unknown as Record<string, unknown>;
    for (const [name, def] of Object.entries(SYMBOLS)) {
      if (name === "__errno_location") continue;
      if ("optional" in def && table[name] === null) continue;
      assert.equal(typeof table[name], "function", `${name} is bound`);
    }
  });

  test("a failed call returns -errno read right after it", () => {
    assert.equal(libc.close(-1), -c.Errno.EBADF);
    assert.equal(libc.ioctl_val(-1, c.NS_GET_NSTYPE, 0), -c.Errno.EBADF);
    assert.ok(libc.getpid() > 0);
  });
});
