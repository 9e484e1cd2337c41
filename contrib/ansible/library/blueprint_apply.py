#!/usr/bin/python3
# Ansible module: make a BlueprintOS box match its description with `blueprint --json apply`, and
# report it the Ansible way: changed/ok from the changes blueprint made, --check from its
# --dry-run plan, --diff as one line per change, a failed task naming the bad field.
from __future__ import annotations

import json

from ansible.module_utils.basic import AnsibleModule

DOCUMENTATION = r"""
module: blueprint_apply
short_description: Apply a BlueprintOS appliance description (blueprint apply)
options:
  src:
    description: Path of appliance.yaml on the box.
    type: path
    required: true
  root:
    description: The root the description is applied to (an image tree, or / on a live box).
    type: path
    default: /
  executable:
    description: The blueprint executable on the box.
    type: path
    default: blueprint
"""

RETURN = r"""
changes: { description: What apply changed (the plan under --check), one dict per change., type: list }
commands: { description: The commands a live box ran to pick the changes up., type: list }
egress: { description: What the box may contact once applied., type: list }
restart_needed:
  description: The running services whose resources or settings changed; in effect once each is restarted (also on a failed task, for what was written before the failure).
  type: list
"""


def line(change: dict) -> str:
    return f"{change.get('action')} {change.get('target')} ({change.get('what', '')})"


def main() -> None:
    module = AnsibleModule(
        argument_spec=dict(
            src=dict(type="path", required=True),
            root=dict(type="path", default="/"),
            executable=dict(type="path", default="blueprint"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    cmd = [p["executable"], "--root", p["root"], "--json", "apply", "-f", p["src"]]
    if module.check_mode:
        cmd.append("--dry-run")
    rc, out, err = module.run_command(cmd, environ_update={"LC_ALL": "C.UTF-8"})
    try:
        doc = json.loads(out)
    except ValueError:
        module.fail_json(msg="blueprint apply printed no JSON", rc=rc, stdout=out, stderr=err)
    if "error" in doc:
        e = doc["error"]
        # A failure part-way leaves what was done before it (`changed` in the error): the task is
        # failed and changed, so handlers and `when: applied is changed` still see the change.
        done = e.get("changed") or []
        module.fail_json(
            msg=e.get("message", "blueprint apply failed"),
            hint=e.get("hint"),
            code=e.get("code"),
            rc=rc,
            changed=bool(done),
            changes=done,
            # Running services whose resources or settings were written before the failure: the
            # next apply finds those files written and names none, so a rescue restarts these.
            restart_needed=e.get("restartNeeded") or [],
        )
    if doc.get("blocked"):
        module.fail_json(msg="; ".join(doc["blocked"]), rc=rc)
    changes = [c for c in doc.get("changes" if module.check_mode else "changed", []) if c.get("action") != "unchanged"]
    if rc != 0:
        # It ran to its end (the whole document) but exited non-zero, e.g. 143 after a SIGTERM it
        # finished past: the task fails, and is changed if the document says the box changed.
        module.fail_json(
            msg=f"blueprint apply exited {rc}",
            rc=rc,
            stderr=err,
            changed=bool(changes),
            changes=changes,
            restart_needed=doc.get("restartNeeded", []),
        )
    result = dict(changed=bool(changes), changes=changes, commands=doc.get("commands", []), egress=doc.get("egress", []))
    # The running services whose resources or settings changed: in effect once each is restarted.
    result["restart_needed"] = doc.get("restartNeeded", [])
    if module._diff and changes:
        result["diff"] = dict(
            before_header=p["src"],
            after_header=p["root"],
            prepared="\n".join(line(c) for c in changes) + "\n",
        )
    module.exit_json(**result)


if __name__ == "__main__":
    main()
