"""Pure domain: instruments, the rule language, scoring, visit rules, quality. No Flask, no SQL."""
