/*
 * insn.c: a QEMU TCG plugin (plugin API version 1, QEMU 7.x) that counts
 * the guest instructions executed, and prints the count each time the
 * guest makes a syscall whose first argument is the marker value given as
 * the plugin argument "mark" (default 0x0ec0ffee). testrig/g168 builds it
 * with gcc and loads it into qemu-arm / qemu-aarch64 (Debian qemu-user,
 * which ships no plugins of its own) to count the echo canceller's ARM
 * instructions per sample. The few declarations of qemu-plugin.h it needs
 * are written out here: Debian ships no header for them.
 *
 * A per-TB inline add counts instructions at translation granularity: a
 * TB left early (a fault, a signal) is counted whole, which the Go program
 * under test does not do between markers.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
struct qemu_plugin_tb;
typedef struct {
	const char *target_name;
	struct {
		int min;
		int cur;
	} version;
	bool system_emulation;
	union {
		struct {
			int smp_vcpus;
			int max_vcpus;
		} system;
	};
} qemu_info_t;
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };
typedef void (*tb_trans_cb)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*syscall_cb)(qemu_plugin_id_t id, unsigned int vcpu, int64_t num, uint64_t a1, uint64_t a2,
			   uint64_t a3, uint64_t a4, uint64_t a5, uint64_t a6, uint64_t a7, uint64_t a8);
typedef void (*udata_cb)(qemu_plugin_id_t id, void *userdata);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, tb_trans_cb cb);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb, enum qemu_plugin_op op, void *ptr,
					      uint64_t imm);
void qemu_plugin_register_vcpu_syscall_cb(qemu_plugin_id_t id, syscall_cb cb);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, udata_cb cb, void *userdata);
void qemu_plugin_outs(const char *string);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

static uint64_t insns;
static uint64_t mark = 0x0ec0ffee;

static void on_tb(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	(void)id;
	qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &insns, qemu_plugin_tb_n_insns(tb));
}

static void on_syscall(qemu_plugin_id_t id, unsigned int vcpu, int64_t num, uint64_t a1, uint64_t a2, uint64_t a3,
		       uint64_t a4, uint64_t a5, uint64_t a6, uint64_t a7, uint64_t a8)
{
	char buf[64];
	(void)id, (void)vcpu, (void)num, (void)a2, (void)a3, (void)a4, (void)a5, (void)a6, (void)a7, (void)a8;
	if ((a1 & 0xffffffff) != mark || (a2 & 0xffffffff) != ((~mark) & 0xffffffff))
		return;
	snprintf(buf, sizeof buf, "insn-mark %" PRIu64 "\n", insns);
	qemu_plugin_outs(buf);
}

static void on_atexit(qemu_plugin_id_t id, void *p)
{
	char buf[64];
	(void)id, (void)p;
	snprintf(buf, sizeof buf, "insn-total %" PRIu64 "\n", insns);
	qemu_plugin_outs(buf);
}

__attribute__((visibility("default"))) int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
								 int argc, char **argv)
{
	(void)info;
	for (int i = 0; i < argc; i++)
		if (strncmp(argv[i], "mark=", 5) == 0)
			mark = strtoull(argv[i] + 5, NULL, 0);
	qemu_plugin_register_vcpu_tb_trans_cb(id, on_tb);
	qemu_plugin_register_vcpu_syscall_cb(id, on_syscall);
	qemu_plugin_register_atexit_cb(id, on_atexit, NULL);
	return 0;
}
