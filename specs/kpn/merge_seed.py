"""Merge the 20 per-operation documents of seed 004 into one spec per API (run once)."""
import json, re, sys
from pathlib import Path

seed = Path(sys.argv[1]).read_text()
out = Path(sys.argv[2])
blocks = [json.loads(b) for b in re.findall(r"```json\n(.*?)\n```", seed, re.S)]
names = {"/downlinks": "downlinks", "/http/downlinks": "http-downlinks", "/lora/downlinks": "lora-downlinks",
         "/sms/downlinks": "sms-downlinks", "/mqtt/downlinks": "mqtt-downlinks"}
merged = {}
for doc in blocks:
    path = next(iter(doc["paths"]))
    name = names[path.replace("/{downlinkId}", "")]
    spec = merged.setdefault(name, {"openapi": doc["openapi"], "info": doc["info"], "servers": doc["servers"], "paths": {}, "components": {}})
    assert spec["info"] == doc["info"] and spec["servers"] == doc["servers"] and spec["openapi"] == doc["openapi"]
    for p, item in doc["paths"].items():
        for method, op in item.items():
            target = spec["paths"].setdefault(p, {})
            assert method not in target
            # the document-level requirement becomes the operation's own: one document, many scopes
            target[method] = {**op, "security": doc["security"]} if "security" not in op else op
    for section, entries in doc["components"].items():
        known = spec["components"].setdefault(section, {})
        for key, value in entries.items():
            assert known.get(key, value) == value, (name, section, key)
            known[key] = value
for name, spec in merged.items():
    (out / f"{name}.json").write_text(json.dumps(spec, indent=2, ensure_ascii=False) + "\n")
    print(name, sum(len(i) for i in spec["paths"].values()), "operations")
