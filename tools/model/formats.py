"""Prompt and answer templates: the single source of truth.

make_world.py writes these to models/facts-lm/world/formats.json so the
TypeScript side builds the very same prompts and checks answers without a
second copy of the strings.

Placeholders (filled by plain string replacement, see common.fill):
  {name}        full name, "First Last"
  {first}       first name only (bios refer back to the person by it)
  {city}        birth city
  {profession}  profession, lower case ("baker")
  {article}     "a" or "an", to go before {profession}
  {born}        birth year, four digits

Every question prompt ends with "A:" and every answer starts with a space:
the tokenizer never merges a space into the token before it (see bpe.py),
so "A:" | " City." is a token boundary both in training and at inference.
"""

QUESTIONS = {
    "city": [
        {"id": "city_where", "prompt": "Q: Where was {name} born?\nA:", "answer": " {city}."},
        {"id": "city_which", "prompt": "Q: In which city was {name} born?\nA:", "answer": " {city}."},
        {"id": "city_birthplace", "prompt": "Q: What is {name}'s birthplace?\nA:", "answer": " {city}."},
    ],
    "profession": [
        {"id": "profession_what", "prompt": "Q: What is {name}'s profession?\nA:", "answer": " {profession}."},
        {"id": "profession_do", "prompt": "Q: What does {name} do?\nA:", "answer": " {name} is {article} {profession}."},
    ],
    "born": [
        {"id": "born_when", "prompt": "Q: When was {name} born?\nA:", "answer": " {born}."},
        {"id": "born_year", "prompt": "Q: In what year was {name} born?\nA:", "answer": " {born}."},
    ],
}

# The phrasing the app uses by default for each attribute.
CANONICAL = {"city": "city_where", "profession": "profession_what", "born": "born_when"}

BIO_PROMPT = "Tell me about {name}.\n"
BIO_TEMPLATES = [
    "{name} was born in {city} in {born}. {first} works as {article} {profession}.",
    "{name} is {article} {profession} from {city}. {first} was born in {born}.",
    "Born in {city} in {born}, {name} works as {article} {profession}.",
    "{name} works as {article} {profession}. {first} was born in {born} in {city}.",
]

JSON_PROMPT = "JSON for {name}:\n"
# How each key is rendered; "born" is a JSON number, the rest are strings.
JSON_FIELDS = {
    "name": '"name": "{name}"',
    "city": '"city": "{city}"',
    "profession": '"profession": "{profession}"',
    "born": '"born": {born}',
}
JSON_CANONICAL_ORDER = ["name", "city", "profession", "born"]
# Other orders appear too (less often) so a schema-constrained decoder that
# forces a different order still finds text the model has seen.
JSON_OTHER_ORDERS = [
    ["name", "born", "city", "profession"],
    ["name", "profession", "born", "city"],
    ["city", "profession", "born", "name"],
]
JSON_CANONICAL_WEIGHT = 0.55  # share of JSON documents in the canonical order


def json_template(order):
    return "{" + ", ".join(JSON_FIELDS[k] for k in order) + "}"


JSON_SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "city": {"type": "string"},
        "profession": {"type": "string"},
        "born": {"type": "integer", "minimum": 1900, "maximum": 1999},
    },
    "required": ["name", "city", "profession", "born"],
    "additionalProperties": False,
}


def person_fields(person):
    """The placeholder values for one person record."""
    prof = person["profession"]
    return {
        "name": person["name"],
        "first": person["name"].split(" ")[0],
        "city": person["city"],
        "profession": prof,
        "article": "an" if prof[0] in "aeiou" else "a",
        "born": person["born"],
    }
