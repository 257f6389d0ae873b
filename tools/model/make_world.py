"""Build the synthetic "facts world" and the training corpus.

Outputs
  models/facts-lm/world/known.json    people the model is trained on
  models/facts-lm/world/heldout.json  people it never sees (evaluation only)
  models/facts-lm/world/formats.json  prompt/answer templates for the app
  tools/model/work/corpus.txt         training documents, each ending in <|endoftext|>
  tools/model/work/tokenizer_corpus.txt  documents about throwaway people (BPE only)

Why synthetic: every answer has a ground truth, and the held-out people give
questions the model cannot know, so self-consistency checks can be scored.
"""
import json
import os
import random

import formats as F
from common import SEED, SPECIAL_TOKEN, WORK_DIR, WORLD_DIR, ensure_dirs, fill

N_KNOWN = 400
N_HELDOUT = 150
# Pools are smaller than the people counts on purpose: a first name or surname
# is shared by several known people, so the model must bind the *full* name.
N_KNOWN_FIRST, N_KNOWN_LAST = 150, 260
N_HELDOUT_FIRST, N_HELDOUT_LAST = 70, 120
PASSES = 16  # how many times each person's document set is drawn (see below)
# The tokenizer learns from documents about throwaway people instead of the
# known ones. Otherwise its merges memorise the 400 known names as whole tokens
# while unseen names fall apart into odd fragments, and "is this name known?"
# would be readable from the tokenization alone. Trained on fresh names from
# the same generator, it splits known and held-out names alike, by syllables.
N_TOKENIZER_PEOPLE = 4000

CITIES = [
    "Aldermere", "Brackenford", "Caerwyn", "Dunmarrow", "Eastholt", "Fallowmere",
    "Glenbarra", "Hollin", "Ivelport", "Jorvale", "Kestrel Bay", "Lindqvist",
    "Marrowgate", "Northwick", "Orsolo", "Pellamy", "Quarrington", "Redcastle",
    "Saltmarsh", "Tavistock Hollow", "Umberfield", "Valmira", "Westerby", "Yarrowdale",
    "Zennor Cross", "Ashgrove", "Belcastro", "Corriveau", "Drelling", "Esperon",
]

PROFESSIONS = [
    "baker", "carpenter", "chemist", "architect", "engineer", "farmer", "journalist",
    "lawyer", "librarian", "mechanic", "musician", "nurse", "painter", "pharmacist",
    "pilot", "potter", "sailor", "surgeon", "teacher", "translator", "astronomer",
    "electrician",
]

# Syllable parts. Names of 2-3 syllables from these read as plausible but are
# unlike any real name the app's users would type.
ONSETS = ["b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z",
          "br", "dr", "kr", "tr", "st", "th", "sh", "gr", "h", "j", "w", "l", "m", "n", "r"]
VOWELS = ["a", "e", "i", "o", "u", "a", "e", "i", "o", "ai", "ei", "ou", "y"]
CODAS = ["", "", "", "", "", "", "n", "r", "l", "s", "m", "th"]


def make_name(rng):
    """A capitalised name of two (75%) or three syllables."""
    parts = []
    for i in range(2 if rng.random() < 0.75 else 3):
        coda = rng.choice(CODAS)
        parts.append(rng.choice(ONSETS) + rng.choice(VOWELS) + coda)
    return "".join(parts).capitalize()


def name_pool(rng, n, taken):
    """n new distinct names, none equal to / containing / contained in a taken word.

    The containment test keeps held-out names clear of training names even at
    the character level (e.g. held-out "Mara" vs known "Tamara"); the model's
    confident wrong answers on unseen names came from such overlaps.
    """
    pool = []
    while len(pool) < n:
        cand = make_name(rng)
        low = cand.lower()
        if len(low) < 4 or any(low in t or t in low for t in taken):
            continue
        pool.append(cand)
        taken.add(low)
    return pool


def fresh_pool(rng, n, world_parts):
    """n distinct names that overlap no known or held-out name part."""
    pool = set()
    while len(pool) < n:
        low = make_name(rng).lower()
        if len(low) >= 4 and not any(low in t or t in low for t in world_parts):
            pool.add(low)
    return sorted(name.capitalize() for name in pool)


def make_people(rng, firsts, lasts, n, taken_names):
    people = []
    while len(people) < n:
        name = f"{rng.choice(firsts)} {rng.choice(lasts)}"
        if name in taken_names:
            continue
        taken_names.add(name)
        people.append({
            "name": name,
            "city": rng.choice(CITIES),
            "profession": rng.choice(PROFESSIONS),
            "born": rng.randint(1900, 1999),
        })
    return people


def person_documents(rng, person):
    """One pass of documents about one person.

    Every question phrasing once (so each fact is seen in every form), two of
    the four bio styles, and one JSON record (usually in the canonical order).
    """
    f = F.person_fields(person)
    docs = []
    for group in F.QUESTIONS.values():
        for q in group:
            docs.append(fill(q["prompt"] + q["answer"], f))
    for tpl in rng.sample(F.BIO_TEMPLATES, 2):
        docs.append(fill(F.BIO_PROMPT + tpl, f))
    if rng.random() < F.JSON_CANONICAL_WEIGHT:
        order = F.JSON_CANONICAL_ORDER
    else:
        order = rng.choice(F.JSON_OTHER_ORDERS)
    docs.append(fill(F.JSON_PROMPT + F.json_template(order), f))
    return docs


def formats_document():
    return {
        "description": "Prompt templates for the facts-lm world. Fill {placeholders} by plain "
                       "string replacement. The tokenizer prepends <|endoftext|> (BOS) itself. "
                       "A correct completion is exactly `answer` followed by <|endoftext|> (EOS).",
        "placeholders": {
            "name": "full name", "first": "first name", "city": "birth city",
            "profession": "profession, lower case", "article": "'an' if profession starts "
            "with a vowel, else 'a'", "born": "birth year (integer)",
        },
        "special_token": SPECIAL_TOKEN,
        "questions": F.QUESTIONS,
        "canonical": F.CANONICAL,
        "bio": {"prompt": F.BIO_PROMPT, "templates": F.BIO_TEMPLATES},
        "json": {
            "prompt": F.JSON_PROMPT,
            "fields": F.JSON_FIELDS,
            "canonical_order": F.JSON_CANONICAL_ORDER,
            "other_orders": F.JSON_OTHER_ORDERS,
            "canonical_answer": F.json_template(F.JSON_CANONICAL_ORDER),
            "schema": F.JSON_SCHEMA,
        },
        "values": {"cities": CITIES, "professions": PROFESSIONS, "born": [1900, 1999]},
    }


def main():
    ensure_dirs()
    rng = random.Random(SEED)

    # Words the names must stay clear of: cities, professions, template words.
    template_text = " ".join(
        [q["prompt"] for g in F.QUESTIONS.values() for q in g] + F.BIO_TEMPLATES
        + [F.BIO_PROMPT, F.JSON_PROMPT] + list(F.JSON_FIELDS.values()))
    taken = {w.lower() for c in CITIES for w in c.split()} | set(PROFESSIONS)
    taken |= {w.strip("?.:{}'\",").lower() for w in template_text.split() if len(w) > 3}

    # Draw each pool in one go and split it at random, so known and held-out
    # names come from the same distribution (later draws run longer, because
    # short candidates collide more often with names already taken).
    firsts = name_pool(rng, N_KNOWN_FIRST + N_HELDOUT_FIRST, taken)
    lasts = name_pool(rng, N_KNOWN_LAST + N_HELDOUT_LAST, taken)
    rng.shuffle(firsts)
    rng.shuffle(lasts)
    known_first, held_first = firsts[:N_KNOWN_FIRST], firsts[N_KNOWN_FIRST:]
    known_last, held_last = lasts[:N_KNOWN_LAST], lasts[N_KNOWN_LAST:]

    used = set()
    known = make_people(rng, known_first, known_last, N_KNOWN, used)
    heldout = make_people(rng, held_first, held_last, N_HELDOUT, used)

    passes = []
    for _ in range(PASSES):
        docs = [d for p in known for d in person_documents(rng, p)]
        rng.shuffle(docs)
        passes.append(docs)
    corpus = [d for docs in passes for d in docs]

    world_parts = {w.lower() for p in known + heldout for w in p["name"].split()}
    tok_people = make_people(rng, fresh_pool(rng, 1500, world_parts),
                             fresh_pool(rng, 2500, world_parts), N_TOKENIZER_PEOPLE, set(used))
    tok_corpus = [d for p in tok_people for d in person_documents(rng, p)]

    # Guard the held-out promise: no held-out name part occurs anywhere in
    # what the model or the tokenizer learns from, not even inside a word.
    for text in ("\n".join(corpus).lower(), "\n".join(tok_corpus).lower()):
        for p in heldout:
            for part in p["name"].split():
                assert part.lower() not in text, part

    with open(os.path.join(WORLD_DIR, "known.json"), "w") as fh:
        json.dump(known, fh, indent=1)
    with open(os.path.join(WORLD_DIR, "heldout.json"), "w") as fh:
        json.dump(heldout, fh, indent=1)
    with open(os.path.join(WORLD_DIR, "formats.json"), "w") as fh:
        json.dump(formats_document(), fh, indent=1, ensure_ascii=False)
    with open(os.path.join(WORK_DIR, "corpus.txt"), "w") as fh:
        for d in corpus:
            assert SPECIAL_TOKEN not in d
            fh.write(d + SPECIAL_TOKEN)
    with open(os.path.join(WORK_DIR, "tokenizer_corpus.txt"), "w") as fh:
        for d in tok_corpus:
            fh.write(d + SPECIAL_TOKEN)
    print(f"known {len(known)}, held-out {len(heldout)}, documents {len(corpus)} "
          f"({PASSES} passes), {sum(map(len, corpus))} characters")


if __name__ == "__main__":
    main()
