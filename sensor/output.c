/* output.c — the registry of output plugins, looked up by the name used in the configuration. */
#include <string.h>

#include "scanwatch/output.h"

/* Each plugin file defines one (or more) of these; a new output adds one line here. */
extern const struct output_ops output_console_ops;
extern const struct output_ops output_console_json_ops;

static const struct output_ops *const outputs[] = {
    &output_console_ops,
    &output_console_json_ops,
};

const struct output_ops *output_lookup(const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof(outputs) / sizeof(outputs[0]); i++)
		if (strcmp(outputs[i]->name, name) == 0)
			return outputs[i];
	return NULL;
}
