"""`tenants check | list | schema`: validate the tenants file, show what each tenant's run will be, print the
JSON Schema. Problems are one line each on stderr, exit status 1."""

from __future__ import annotations

import argparse
import json
import os
import sys

from orchestrate.tenants import TenantRunError, TenantsFileError, load_fleet, schema

PROG = "tenants"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    parser.add_argument("--file", default=os.environ.get("TENANTS_FILE", "tenants.yml"), help="the tenants file")
    parser.add_argument("--meltano-yml", default="meltano.yml", help="the Meltano project file it refers to")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("check", help="validate the file; also say which tenants lack a secret variable now")
    sub.add_parser("list", help="one line per tenant: the meltano command its run executes")
    sub.add_parser("schema", help="print the JSON Schema of the file")
    args = parser.parse_args(argv)
    if args.command == "schema":
        print(json.dumps(schema(), indent=2))
        return 0
    try:
        fleet = load_fleet(args.file, args.meltano_yml)
    except TenantsFileError as exc:
        for problem in exc.problems:
            print(f"{PROG}: error: {exc.path}: {problem}", file=sys.stderr)
        return 1
    if args.command == "list":
        for run in fleet:
            print(f"{run.name}\t{run.tenant.provider}\t{run.schedule}\t{' '.join(run.command())}")
        return 0
    missing = 0
    for run in fleet:
        try:
            run.environ(os.environ)
        except TenantRunError as exc:
            missing += 1
            print(f"{PROG}: warning: {exc}", file=sys.stderr)
    print(
        f"{fleet.path}: {len(fleet)} tenant(s) valid" + (f", {missing} missing secret variables now" if missing else "")
    )
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
