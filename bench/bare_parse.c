/*
 * bare_parse: the floor for any libpg_query-based linter. Reads each file
 * named on the command line (or, with -, one path per line on standard
 * input), parses it with pg_query_parse_protobuf and unpacks the tree with
 * protobuf-c, as pgstage does, then frees both. Nothing else: no rules, no
 * model, no output but the statement count. bench/lint.sh times it on the
 * same inputs as pgstage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 64 * 1024, n = 0;
	char *buf;

	if (!f) {
		perror(path);
		exit(2);
	}
	buf = malloc(cap);
	for (;;) {
		if (n + 1 >= cap) {
			cap *= 2;
			buf = realloc(buf, cap);
		}
		size_t got = fread(buf + n, 1, cap - n - 1, f);
		if (got == 0)
			break;
		n += got;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

static size_t parse_file(const char *path)
{
	size_t len, n_stmts = 0;
	char *text = read_file(path, &len);
	PgQueryProtobufParseResult r = pg_query_parse_protobuf(text);

	if (r.error) {
		fprintf(stderr, "%s: %s\n", path, r.error->message);
	} else {
		PgQuery__ParseResult *tree = pg_query__parse_result__unpack(
			NULL, r.parse_tree.len, (const uint8_t *)r.parse_tree.data);
		if (tree) {
			n_stmts = tree->n_stmts;
			pg_query__parse_result__free_unpacked(tree, NULL);
		}
	}
	pg_query_free_protobuf_parse_result(r);
	free(text);
	return n_stmts;
}

int main(int argc, char **argv)
{
	size_t total = 0;

	if (argc == 2 && strcmp(argv[1], "-") == 0) {
		char line[4096];

		while (fgets(line, sizeof(line), stdin)) {
			line[strcspn(line, "\n")] = '\0';
			if (line[0])
				total += parse_file(line);
		}
	} else {
		for (int i = 1; i < argc; i++)
			total += parse_file(argv[i]);
	}
	pg_query_exit();
	printf("%zu statements\n", total);
	return 0;
}
