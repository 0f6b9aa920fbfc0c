"""Run the official SocialEval scripts, unchanged, against a stand-in model.

Used by tests/official_parity.rs: it imports run_gae.py / run_iae.py from the folder given
(the user's copy of the official code; this project contains none of it), replaces only the
model call, and writes every prompt the scripts send plus their results as JSON.

    python3 official_run.py gae|iae CORPUS_DIR REF_DIR OUT.json

The stand-in model answers as a function of the prompt alone, the same function the Rust test's
loopback server uses, so two programs that send the same prompts walk the same paths and give
the same answers:
- GAE: the options are the lines `X: ...`; pick number int(sha256(prompt)[:8], 16) mod n.
- IAE: the options are the lines `X. text`; pick the one whose text has the smallest sha256.

IAE items are rebuilt from the per-tree files (the official items file is not published); the
rebuild is ours and is described in the README: one item per skill choice with a skill
question on a node reachable from cid 0; profiles = predefined profiles then every profile
introduced on the path (the choice node included); content = every dialog item with a content
on that path; question = the first question text with `#question#` removed, stripped; skills =
the question's `skill` list as written; choices = the candidate's `content.content` (correct)
then each skill confusion's `content.content`. An item that cannot be built that way (a
candidate that is a list, a distractor that is an empty object) is left out.
"""

import contextlib
import glob
import hashlib
import io
import json
import os
import re
import sys
import tempfile
import types


def sha(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def gae_answer(prompt):
    n = len(re.findall(r"^[A-Z]: ", prompt, flags=re.M))
    if n == 0:
        return '{"choice": "A"}'
    return '{"choice": "%s"}' % chr(65 + int(sha(prompt)[:8], 16) % n)


def iae_answer(prompt):
    options = re.findall(r"^([A-Z])\. (.*)$", prompt, flags=re.M)
    if not options:
        return '{"choice": "A"}'
    best = min(options, key=lambda o: sha(o[1]))
    return '{"choice": "%s"}' % best[0]


def trees(corpus):
    for path in sorted(glob.glob(os.path.join(corpus, "*.json"))):
        with open(path, encoding="utf-8") as f:
            yield os.path.basename(path), json.load(f)


def rebuild_items(name, data):
    plots = {}
    for plot in data["interactive_plot"]:
        plots.setdefault(plot["cid"], plot)
    items = []
    # Depth first from cid 0, choices in file order; the path carries the dialog items.
    stack = [(0, [])]
    seen = set()
    while stack:
        cid, path = stack.pop()
        if cid in seen or cid not in plots:
            continue
        seen.add(cid)
        plot = plots[cid]
        path = path + [plot]
        for k, choice in enumerate(plot.get("choices") or []):
            if choice.get("type") != "skill choice":
                continue
            questions = [c for c in choice.get("confusion") or [] if c.get("type") == "skill question"]
            if not questions:
                continue
            q = questions[0]
            text = q.get("question")
            if isinstance(text, list):
                text = next((t for t in text if isinstance(t, str)), "")
            text = (text or "").replace("#question#", "").strip()
            try:
                options = [{"type": "skill choice", "content": choice["content"]["content"]}]
                for c in choice.get("confusion") or []:
                    if c.get("type") == "skill confusion":
                        options.append({"type": "skill confusion", "content": c["content"]["content"]})
            except (KeyError, TypeError):
                continue
            profiles = list(data["predefined_profiles"])
            content = []
            for p in path:
                for d in p.get("dialog") or []:
                    if "profile" in d:
                        profiles.append(d["profile"])
                    if "content" in d:
                        content.append({k: v for k, v in d.items() if k in ("role", "content")})
            items.append({
                "data_id": "%s/%s/%s" % (name, cid, k),
                "cn_data": {
                    "profile": profiles,
                    "content": content,
                    "question": {"text": text, "skills": q.get("skill") or []},
                    "choices": options,
                },
            })
        for choice in reversed(plot.get("choices") or []):
            stack.append((choice.get("cid"), path))
    return items


def main():
    mode, corpus, ref, out = sys.argv[1:5]
    stand_in = types.ModuleType("openai_util")

    def no_network(prompt, model="stand-in"):
        raise RuntimeError("the stand-in model is patched in below")

    stand_in.gpt_call = no_network
    sys.modules["openai_util"] = stand_in
    sys.path.insert(0, ref)
    prompts = []
    result = {}
    with tempfile.TemporaryDirectory() as tmp:
        data_path = os.path.join(tmp, "data.json")
        if mode == "gae":
            import run_gae as official

            entries = [{"data_id": name, "cn_data": data} for name, data in trees(corpus)]

            def model(prompt, model_name="stand-in"):
                prompts.append(prompt)
                return gae_answer(prompt)
        else:
            import run_iae as official

            entries = []
            for name, data in trees(corpus):
                entries.extend(rebuild_items(name, data))

            def model(prompt, model_name="stand-in"):
                prompts.append(prompt)
                return iae_answer(prompt)

        official.gpt_api = model
        with open(data_path, "w", encoding="utf-8") as f:
            json.dump(entries, f, ensure_ascii=False)
        with contextlib.redirect_stdout(io.StringIO()):
            if mode == "gae":
                result["by_orientation"] = official.eval_goal_achievement("stand-in", data_path, "cn")
            else:
                by_key = official.eval_interpersonal_abilities("stand-in", data_path, "cn")
                result["by_key"] = by_key
                result["overall_average"] = sum(by_key.values()) / len(by_key) if by_key else 0.0
                result["by_category"] = {
                    cat: official.eval_interpersonal_abilities("stand-in", data_path, "cn", cat)
                    for cat in official.CATEGORIES
                }
                result["items"] = len(entries)
    # The IAE run above asked every item six times (once per call); keep the first pass.
    if mode == "iae":
        prompts = prompts[: len(prompts) // 6]
    result["prompts"] = prompts
    with open(out, "w", encoding="utf-8") as f:
        json.dump(result, f, ensure_ascii=False)


if __name__ == "__main__":
    main()
