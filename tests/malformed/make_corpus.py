#!/usr/bin/env python3
"""Writes the malformed-input corpus (tests/malformed/*) and its manifest cases.json.

Each case is one file fsrace must refuse with exit code 2 and a message naming the file, the JSON path
(or line and column) and what was expected. tests/sim/malformed_corpus_errors_test.cpp runs every case;
the fuzz targets (fuzz/) use the files as seeds. Re-run after editing: python3 make_corpus.py
"""
import copy, json, os

HERE = os.path.dirname(os.path.abspath(__file__))
BASE = {
    "name": "tiny",
    "title": "a small valid scenario the cases below break one way each",
    "filesystem": {"devices": ["1GiB"], "profiles": {"data": "single", "metadata": "dup", "system": "dup"},
                   "setup": [{"op": "create_file", "file": "f", "size": "64KiB", "seed": 1}, {"op": "sync"}]},
    "threads": [{"name": "writer", "ops": [{"op": "write", "file": "f", "offset": 0, "length": "4KiB"}]},
                {"name": "syncer", "ops": [{"op": "sync"}]}],
    "expectations": [{"fixes": "on", "result": "clean"}],
}
cases = []

def case(name, command, path, contains, text=None, doc=None, edit=None):
    if text is None:
        if doc is None:
            doc = copy.deepcopy(BASE)
            edit(doc)
        text = json.dumps(doc, indent=1)
    fname = name + (".json" if command != "text" else ".txt")
    with open(os.path.join(HERE, fname), "w", encoding="utf-8", errors="surrogateescape") as f:
        f.write(text)
    cases.append({"file": fname, "command": command, "path": path, "contains": contains})

def setp(path, value):
    def edit(d):
        *parents, last = path
        for p in parents:
            d = d[p]
        d[last] = value
    return edit

V = "validate"
# JSON syntax and numbers
case("number-overflow-device", V, "/filesystem/devices/0", ["number overflow", "1e400", "line"],
     text='{"filesystem": {"devices": [1e400]}}')
case("number-overflow-nested", V, "/threads/0/ops/0/length", ["number overflow", "-1e999"],
     text=json.dumps(BASE).replace('"length": "4KiB"', '"length": -1e999'))
case("syntax-missing-value", V, "", ["invalid JSON", "line 3", "column"], text='{\n  "name": "x",\n  "title": }\n')
case("syntax-trailing-comma", V, "", ["invalid JSON", "line"], text='{"name": "x",}')
case("syntax-empty-file", V, "", ["invalid JSON", "unexpected end of input"], text="")
case("syntax-truncated", V, "", ["invalid JSON", "unexpected end of input"], text=json.dumps(BASE)[:200])
case("syntax-comment", V, "", ["invalid JSON"], text='// comment\n' + json.dumps(BASE))
case("syntax-bad-utf8", V, "", ["invalid JSON", "UTF-8"], text='{"name": "\udcff"}')
case("syntax-nan", V, "", ["invalid JSON"], text='{"filesystem": {"devices": [NaN]}}')
case("not-an-object", V, "/", ["expected a scenario (a JSON object)", "an array"], text="[1, 2, 3]")
case("duplicate-key", V, "/name", ["appears twice"], text='{"name": "a", "name": "b"}')
# limits of the reader
case("nesting-too-deep", V, "/comment/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0",
     ["nesting deeper than 64"], text='{"comment": ' + "[" * 100 + "]" * 100 + "}")
case("key-too-long", V, "/", ["a key of 200 bytes", "limit is 128"], text='{"' + "k" * 200 + '": 1}')
case("string-too-long", V, "/title", ["a string of 5000 bytes", "limit is 4096"],
     doc=dict(BASE, title="t" * 5000))
# scenario rules
case("missing-name", V, "/", ["missing required key \"name\""], doc={k: v for k, v in BASE.items() if k != "name"})
case("name-wrong-type", V, "/name", ["expected", "integer 5"], edit=setp(["name"], 5))
case("unknown-top-key", V, "/thread", ["unknown key \"thread\"", "did you mean 'threads'"], edit=setp(["thread"], []))
case("devices-empty", V, "/filesystem/devices", ["expected an array of 1 to 16 device sizes"], edit=setp(["filesystem", "devices"], []))
case("device-too-small", V, "/filesystem/devices/0", ["at least 1MiB"], edit=setp(["filesystem", "devices", 0], "4KiB"))
case("device-too-large", V, "/filesystem/devices/0", ["at most 1TiB"], edit=setp(["filesystem", "devices", 0], "2TiB"))
case("device-size-overflow", V, "/filesystem/devices/0", ["does not fit in 64 bits"], edit=setp(["filesystem", "devices", 0], "99999999999999999999TiB"))
case("device-size-unit", V, "/filesystem/devices/0", ["ambiguous", "binary unit"], edit=setp(["filesystem", "devices", 0], "1GB"))
case("device-size-negative", V, "/filesystem/devices/0", ["non-negative"], edit=setp(["filesystem", "devices", 0], -4096))
case("device-size-float", V, "/filesystem/devices/0", ["expected a size", "number"], edit=setp(["filesystem", "devices", 0], 1.5))
case("spare-devices-not-array", V, "/filesystem/spare_devices", ["expected an array of 0 to 16 device sizes", "string"],
     edit=setp(["filesystem", "spare_devices"], "1GiB"))
case("spare-device-too-small", V, "/filesystem/spare_devices/0", ["at least 128MiB"], edit=setp(["filesystem", "spare_devices"], ["64MiB"]))
def add_spare_op(index, spares):
    def edit(d):
        if spares is not None:
            d["filesystem"]["spare_devices"] = spares
        d["threads"][1]["ops"] = [{"op": "device_add", "spare": index}]
    return edit
case("device-add-no-spares", V, "/threads/1/ops/0/spare", ["spare device index", "lists none"], edit=add_spare_op(0, None))
case("device-add-spare-past-list", V, "/threads/1/ops/0/spare", ["spare device index in 0..0", "got 1"], edit=add_spare_op(1, ["1GiB"]))
case("profile-unknown", V, "/filesystem/profiles/data", ["expected one of", "raid1"], edit=setp(["filesystem", "profiles", "data"], "raid7"))
case("profile-impossible", V, "/filesystem", ["raid1"], edit=setp(["filesystem", "profiles", "metadata"], "raid1"))
case("nodesize-not-power-of-two", V, "/filesystem/nodesize", ["power of two"], edit=setp(["filesystem", "nodesize"], 12288))
case("op-unknown", V, "/threads/0/ops/0/op", ["unknown operation \"wrte\"", "did you mean 'write'"], edit=setp(["threads", 0, "ops", 0, "op"], "wrte"))
case("op-unknown-huge", V, "/threads/0/ops/0/op", ["unknown operation"], edit=setp(["threads", 0, "ops", 0, "op"], "x" * 4000))
case("op-missing-param", V, "/threads/0/ops/0", ["missing required key \"length\""],
     edit=lambda d: d["threads"][0]["ops"][0].pop("length"))
case("op-param-type", V, "/threads/0/ops/0/offset", ["expected a size", "boolean"], edit=setp(["threads", 0, "ops", 0, "offset"], True))
case("op-unknown-param", V, "/threads/0/ops/0/lenght", ["unknown key \"lenght\"", "did you mean 'length'"],
     edit=setp(["threads", 0, "ops", 0, "lenght"], 1))
case("op-ref-undefined", V, "/threads/0/ops/0/file", ["no file named \"g\""], edit=setp(["threads", 0, "ops", 0, "file"], "g"))
case("allow-errors-unknown", V, "/threads/1/ops/0/allow_errors/0", ["unknown errno name \"ENOSPACE\"", "did you mean 'ENOSPC'"],
     edit=setp(["threads", 1, "ops", 0, "allow_errors"], ["ENOSPACE"]))
case("repeat-too-large", V, "/threads/0/ops/0/repeat", ["1..100000"], edit=setp(["threads", 0, "ops", 0, "repeat"], 100001))
case("repeat-overflow", V, "/threads/0/ops/0/repeat", ["1..100000"], edit=setp(["threads", 0, "ops", 0, "repeat"], 18446744073709551615))
case("threads-too-many", V, "/threads", ["at most 64 threads", "got 4096"],
     edit=lambda d: d["threads"].__setitem__(slice(None), [dict(name=f"t{i}", count=64, ops=[{"op": "sync"}]) for i in range(64)]))
case("thread-name-duplicate", V, "/threads/1/name", ["duplicate thread name"], edit=setp(["threads", 1, "name"], "writer"))
case("thread-count-zero", V, "/threads/0/count", ["1..64"], edit=setp(["threads", 0, "count"], 0))
case("op-calls-too-many", V, "/threads", ["operation calls per execution", "limit is 1000000"],
     edit=lambda d: d["threads"].__setitem__(slice(None), [dict(name=f"t{i}", ops=[{"op": "sync", "repeat": 100000}] * 20) for i in range(64)]))
case("setup-file-4gib", V, "/filesystem/setup/0", ["file size limit", "256MiB"], edit=setp(["filesystem", "setup", 0, "size"], "4GiB"))
case("dio-write-4gib", V, "/threads/0/ops/0", ["file size limit"],
     edit=setp(["threads", 0, "ops", 0], {"op": "dio_write", "file": "f", "offset": 0, "length": "4GiB"}))
case("data-too-much", V, "/threads/0/ops/0", ["256MiB", "reached by this call"],
     edit=setp(["threads", 0, "ops", 0], {"op": "write", "file": "f", "length": "1MiB", "repeat": 300}))
case("max-steps-too-large", V, "/explore/max_steps", ["1..10000000"], edit=setp(["explore"], {"max_steps": 1000000000}))
case("expectation-result", V, "/expectations/0/result", ["\"violation\" or \"clean\"", "\"dirty\""], edit=setp(["expectations", 0, "result"], "dirty"))
case("expectation-off-without-fixes", V, "/expectations/0/fixes", ["changes nothing"], edit=setp(["expectations", 0, "fixes"], "off"))
case("fix-unknown", V, "/fixes/0", ["unknown fix \"deadbeef0000\""], edit=setp(["fixes"], ["deadbeef0000"]))
case("kernel-version-bad", V, "/fixes/kernel", ["kernel version"], edit=setp(["fixes"], {"kernel": "four"}))
case("invariant-unknown", V, "/invariants/0", ["unknown invariant \"fsk\"", "did you mean 'fsck'"], edit=setp(["invariants"], ["fsk"]))
# mistakes the model would only catch later
case("setup-uncommitted", V, "/filesystem/setup", ["running transaction", "sync"],
     edit=lambda d: d["filesystem"]["setup"].pop())

# schedule files (replayed against scenarios/scrub-vs-bg-deletion.json)
S = "schedule"
GOOD_SCHEDULE = {"fsrace_schedule": 1, "scenario": "scrub-vs-bg-deletion", "fixes": "off", "fix": {},
                 "threads": ["scrub", "cleaner"], "steps": [{"thread": "scrub", "label": "start scrub"}]}
def sched(**kw):
    d = copy.deepcopy(GOOD_SCHEDULE); d.update(kw); return d
case("schedule-number-overflow", S, "/fsrace_schedule", ["number overflow"], text='{"fsrace_schedule": 1e999}')
case("schedule-version", S, "/fsrace_schedule", ["format version 1"], doc=sched(fsrace_schedule=2))
case("schedule-other-scenario", S, "/scenario", ["recorded for scenario \"other\""], doc=sched(scenario="other"))
case("schedule-thread-unknown", S, "/steps/0/thread", ["no thread \"scrubber\"", "did you mean 'scrub'"],
     doc=sched(steps=[{"thread": "scrubber", "label": "start scrub"}]))
case("schedule-steps-empty", S, "/steps", ["non-empty array"], doc=sched(steps=[]))
case("schedule-hash-bad", S, "/steps/0/hash", ["16 hex digits"], doc=sched(steps=[{"thread": "scrub", "label": "start scrub", "hash": "xyz"}]))
case("schedule-label-edited", S, "/steps/0", ["replay diverged at step 0: ", "recorded \"start scrubbing\" by scrub", "got \"start scrub\" by scrub"],
     doc=sched(steps=[{"thread": "scrub", "label": "start scrubbing"}]))
case("schedule-runs-out", S, "/steps/1", ["replay diverged at step 1: ", "the recording ends after 1 steps"], doc=sched())
case("schedule-is-a-scenario", S, "/", ["missing required key \"fsrace_schedule\""], doc=BASE)
# results given to report and merge
R, M = "report", "merge"
case("report-number-overflow", R, "/cases/0/executions", ["number overflow"], text='{"cases": [{"executions": 1e400}]}')
case("report-not-a-result", R, "", ["expected the --json result of fsrace run, explore or merge"], doc={"hello": 1})
case("report-cases-not-array", R, "/cases", ["expected"], doc={"summary": {}, "cases": 5})
case("merge-not-a-result", M, "", [""], doc=[1, 2])
case("merge-number-overflow", M, "/summary/cases", ["number overflow"], text='{"summary": {"cases": 1e400}}')

with open(os.path.join(HERE, "cases.json"), "w") as f:
    json.dump({"comment": "generated by make_corpus.py", "cases": cases}, f, indent=1)
print(len(cases), "cases")
