/* fuzz_config.c — libFuzzer target: arbitrary bytes as the sensor's YAML configuration
 * (-c FILE) through config_load.
 *
 * config_load reads a path, so the input is written to a memfd and read by its /proc path,
 * exactly as a file on disk. A configuration that loads must satisfy what the rest of the
 * sensor relies on (config.h's ranges); one that does not must say where and why.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "scanwatch/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64], err[1024];
	int fd = memfd_create("fuzz_config", MFD_CLOEXEC);
	if (fd < 0)
		abort();
	for (size_t off = 0; off < size;) {
		ssize_t w = write(fd, data + off, size - off);
		if (w <= 0)
			abort();
		off += (size_t)w;
	}
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	struct sw_config *cfg = NULL;
	err[0] = 0;
	if (config_load(path, &cfg, err, sizeof err) < 0) {
		/* Errors name the file and leave *out untouched. */
		if (cfg != NULL || strstr(err, path) == NULL)
			abort();
	} else {
		if (!cfg)
			abort();
		if ((cfg->present & CONFIG_SNAPLEN) && (cfg->snaplen < 64 || cfg->snaplen > 262144))
			abort();
		if ((cfg->nhome && !cfg->home_net) || (cfg->nrules && !cfg->rules) ||
		    (cfg->noutputs && !cfg->outputs))
			abort();
		for (size_t i = 0; i < cfg->noutputs; i++)
			if (!cfg->outputs[i].type || !cfg->outputs[i].target)
				abort();
		for (size_t i = 0; i < cfg->nrules; i++)
			if (!cfg->rules[i])
				abort();
		config_free(cfg);
	}
	close(fd);
	return 0;
}
