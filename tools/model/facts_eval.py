"""Greedy question answering over the world, scored against ground truth."""
import formats as F
from common import SPECIAL_ID, fill
from model import greedy_generate


def questions(people, question_ids=None):
    """(prompt, expected answer, attribute, question id) for each person and phrasing."""
    out = []
    for attr, group in F.QUESTIONS.items():
        for q in group:
            if question_ids is not None and q["id"] not in question_ids:
                continue
            for p in people:
                f = F.person_fields(p)
                out.append((fill(q["prompt"], f), fill(q["answer"], f), attr, q["id"]))
    return out


def accuracy(model, enc, items, batch_size=64):
    """Exact-match greedy accuracy per question id (and per attribute)."""
    model.eval()
    hits, totals = {}, {}
    for start in range(0, len(items), batch_size):
        chunk = items[start:start + batch_size]
        prompts = [[SPECIAL_ID] + enc.encode(prompt) for prompt, _, _, _ in chunk]
        outs = greedy_generate(model, prompts, SPECIAL_ID, SPECIAL_ID)
        for (_, answer, attr, qid), ids in zip(chunk, outs):
            ok = enc.decode(ids) == answer
            for key in (qid, attr):
                hits[key] = hits.get(key, 0) + ok
                totals[key] = totals.get(key, 0) + 1
    return {k: hits[k] / totals[k] for k in totals}
