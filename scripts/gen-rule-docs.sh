#!/usr/bin/env bash
# Print docs/rules.md, generated from the rule descriptors through
# `pgstage rules`; `make docs` writes it and `make check-docs` checks it.
set -euo pipefail

pgstage=${PGSTAGE:-./pgstage}

echo "# pgstage rules"
echo
echo "Generated from the rule descriptors by \`make docs\`; do not edit."
echo "\`pgstage rules NAME\` prints the same text."
echo
echo "| id | name | severity | summary |"
echo "|---|---|---|---|"
"$pgstage" rules | while read -r id name severity summary; do
	echo "| $id | [$name](#$name) | $severity | $summary |"
done
"$pgstage" rules | while read -r id name _; do
	echo
	# one level down, so each rule is a section of this page
	"$pgstage" rules "$id" | sed 's/^#/##/'
	: "$name"
done
