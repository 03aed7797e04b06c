"""The offline drafter (provider ``outline``): a description in plain words to film data.

Deterministic rules, no model and no keys. What it understands:

- **characters**: names (``Mira``, ``Dr. Ada Reyes``) that act or speak, and people or
  creatures introduced with an article (``a lone researcher``, ``an old fisherman``); later
  ``she``/``he``/``the researcher`` refer back to them, and the pronouns give the gender
  (written into the description, which is what voice casting reads). ``with short grey
  hair``/``wearing a red coat`` become identity and wardrobe;
- **places**: ``in the lab``, ``at a rainy bus stop``: one environment each, a new scene
  when the place changes; ``at night``/``at dusk`` set the time of day;
- **shots**: one per action sentence; quoted speech is dialogue of the speaker it is
  attributed to (``Mira says``, ``she asks``, ``Theo: "..."``), ``Narrator: ...`` and
  stories (``Once upon a time``) are narration;
- **hints**: ``Duration: 10 seconds`` (the film's length, shared by the silent shots; shots
  with speech are ``auto``, fitted to it), ``Style: cinematic``, ``9:16``/``vertical``,
  ``Title: ...``;
- **presets**: a look (``STYLE_PRESETS``) from the words (anime → ghibli, neon → cyberpunk,
  a children's story → storybook...) and a camera setup (``CINEMATOGRAPHY_PRESETS``) per shot
  from what happens in it (an arrival → establishing-wide, a feeling on a face →
  dramatic-close-up, running → action-tracking, a product → product-hero, a conversation →
  over-the-shoulder / intimate-dialogue).

:func:`outline` returns the film data and notes naming what the text left open.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import attrs

from ministudio.draft.text import Hints, hints, quotes, sentences, slug
from ministudio.film.presets import STYLE_PRESETS

__all__ = ["Outline", "outline"]

# -- vocabulary --------------------------------------------------------------------------------

#: nouns for people and creatures that can be characters; the value is the gender they imply
PERSON_NOUNS: dict[str, str | None] = {
    **dict.fromkeys(
        "researcher scientist doctor nurse detective knight pirate robot astronaut engineer chef "
        "baker farmer teacher student child kid baby soldier captain pilot driver artist painter "
        "musician singer dancer runner athlete explorer traveler traveller stranger customer "
        "shopkeeper barista waiter hero villain thief guard officer programmer developer "
        "designer founder manager worker mechanic photographer writer poet monk friend "
        "inventor wizard witch alien dragon fox cat dog puppy kitten rabbit bunny bear owl "
        "mouse bird penguin lion wolf elephant monkey turtle squirrel hedgehog frog giant "
        "elf dwarf ghost vampire zombie cyclist skater surfer hiker climber jogger tourist "
        "reporter journalist lawyer judge professor librarian gardener fisher sailor ranger "
        "cowboy ninja samurai warrior archer hunter queen king princess prince neighbor "
        "neighbour toddler teenager teen boss intern coach player goalkeeper clown magician "
        "courier detective astronomer biologist chemist archaeologist skateboarder "
        "illustrator snowboarder gamer boxer swimmer scientist-in-training".split(), None),
    **dict.fromkeys("woman girl lady mother mom mum grandmother grandma queen princess witch "
                    "waitress heroine daughter sister wife aunt nun mermaid actress "
                    "ballerina".split(), "female"),
    **dict.fromkeys("man boy gentleman father dad grandfather grandpa king prince wizard "
                    "fisherman son brother husband uncle monk actor cowboy".split(), "male"),
}
_FEMALE = {"she", "her", "hers", "herself"}
_MALE = {"he", "him", "his", "himself"}
_PLURAL = {"they", "them", "their", "both", "together"}

#: places (the last word of a place phrase); multi-word ones are matched first
PLACE_NOUNS = (
    "bus stop", "train station", "space station", "living room", "coffee shop", "city street",
    "control room", "throne room", "market square", "front door", "back yard", "night sky",
    "lab", "laboratory", "kitchen", "forest", "woods", "beach", "city", "street", "cafe", "café",
    "office", "room", "house", "home", "garden", "park", "station", "shop", "store", "studio",
    "desert", "mountain", "mountains", "space", "spaceship", "ship", "castle", "school",
    "classroom", "library", "market", "village", "river", "lake", "sea", "ocean", "field",
    "meadow", "bedroom", "attic", "basement", "cave", "lighthouse", "rooftop", "roof", "bar",
    "restaurant", "hospital", "train", "harbor", "harbour", "island", "jungle", "planet", "moon",
    "stage", "workshop", "warehouse", "alley", "playground", "temple", "tower", "bridge",
    "apartment", "hallway", "corridor", "gym", "stadium", "arena", "museum", "gallery", "theater",
    "theatre", "church", "farm", "barn", "valley", "hill", "hills", "cliff", "shore", "pond",
    "swamp", "tunnel", "subway", "airport", "plane", "bakery", "factory", "garage", "backyard",
    "yard", "square", "plaza", "town", "kingdom", "palace", "dungeon", "cabin", "tent", "camp",
    "classroom", "courtyard", "pier", "dock", "port", "road", "highway", "countertop", "counter",
    "desk", "window", "balcony", "porch", "greenhouse", "observatory", "orbit", "universe",
    "sky", "clouds", "underwater", "reef", "canyon", "glacier", "snow", "rain", "storm",
)
#: places that are also props on a table, only a place when nothing better is found
_WEAK_PLACES = {"counter", "countertop", "desk", "window", "sky", "clouds", "snow", "rain",
                "storm", "road", "front door", "home", "room", "space", "moon", "pier", "dock",
                "shore", "tower", "bridge", "roof", "stage", "porch", "balcony", "table"}
_SIGHTS = {"moon", "sky", "clouds", "sea", "ocean", "city", "mountains", "mountain", "tower",
           "castle", "window", "stage", "planet", "universe", "storm"}
_PLACE_PREP = r"(?:in|at|on|inside|into|onto|through|across|near|by|under|over|along|around|" \
              r"outside|to|from|towards|toward|within|beneath|above|behind|down|up|past)"
_DETERMINERS = r"(?:the|a|an|her|his|their|its|our|my|this|that)"
_PLACE_RE = re.compile(
    rf"\b{_PLACE_PREP}\s+(?:{_DETERMINERS}\s+)?((?:[a-z][\w'-]*\s+){{0,3}}?)"
    rf"({'|'.join(re.escape(p) for p in sorted(PLACE_NOUNS, key=len, reverse=True))})s?\b",
    re.I,
)
_TIMES = {"night": "night", "midnight": "night", "dusk": "dusk", "dawn": "dawn",
          "sunset": "sunset", "sunrise": "sunrise", "morning": "morning",
          "afternoon": "afternoon", "evening": "evening", "noon": "midday", "daytime": "day"}
_LIGHT_WORDS = (("neon", "neon light"), ("candle", "warm candlelight"), ("moonlight", "moonlight"),
                ("glow", "a soft glow"), ("fire", "flickering firelight"), ("sunlight", "sunlight"),
                ("lamp", "warm lamplight"), ("dark", "low, moody light"))

PRODUCT_NOUNS = set(
    "product bottle phone smartphone headphones earbuds sneaker sneakers shoe shoes watch "
    "smartwatch laptop camera drink soda juice coffee tea perfume lipstick cream lotion "
    "shampoo bag backpack chair lamp app gadget device speaker bike car jar can box package "
    "chocolate snack bar cereal candle mug cup glasses sunglasses jacket".split())
_AD_WORDS = re.compile(r"\b(ad|advert|advertisement|commercial|product|brand|buy|introducing|"
                       r"launch|available now|shop now|sale|promo)\b", re.I)
_STORY_WORDS = re.compile(r"\b(once upon a time|bedtime|fairy tale|fairytale|children's story|"
                          r"kids' story|storybook|little (?:bunny|bear|mouse|fox|owl|dragon))\b",
                          re.I)

_STYLE_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("ghibli", re.compile(r"\b(ghibli|anime|hand-?drawn|watercolou?r|hand-?painted|2d animation)\b", re.I)),
    ("cyberpunk", re.compile(r"\b(cyberpunk|neon|blade runner|dystopian|hacker|futuristic city)\b", re.I)),
    ("storybook", re.compile(r"\b(storybook|children'?s|kids'?|bedtime|fairy ?tale|once upon a time|picture book)\b", re.I)),
    ("flat-explainer", re.compile(r"\b(explainer|tutorial|how to|infographic|diagram|flat|vector|motion graphics|onboarding)\b", re.I)),
    ("realistic", re.compile(r"\b(realistic|photo-?real(?:istic)?|documentary|real life|true to life|live action)\b", re.I)),
    ("cinematic", re.compile(r"\b(cinematic|film|movie|epic|dramatic|blockbuster|trailer|noir|thriller)\b", re.I)),
)

_CLOSE_UP = re.compile(r"\b(amazed|astonished|surprised|shocked|stunned|afraid|scared|terrified|"
                       r"frightened|tears?|cries|crying|smiles?|grins?|gasps?|stares?|frowns?|"
                       r"blinks?|eyes|face|expression|whispers?|nervous|worried|delighted|awe|"
                       r"wonder|sad|sadly|angry|furious|joy|joyful|happy|looks? at|gazes?)\b", re.I)
_ACTION = re.compile(r"\b(runs?|running|races?|racing|chases?|chasing|sprints?|dash(?:es)?|rush(?:es)?|"
                     r"jumps?|leaps?|flies|flying|fights?|escapes?|speeds?|rides?|skates?|surfs?|"
                     r"drives?|climbs?|falls?|dives?|swims?|spins?|dances?|kicks?|throws?)\b", re.I)
_ARRIVAL = re.compile(r"\b(arrives?|enters?|walks? into|steps? into|comes? into|lands?|opens on|"
                      r"overlooks?|stands? (?:in|at|on)|sits? (?:in|at|on)|lives?|lived|is|are|was|were)\b", re.I)
_DOCUMENTARY = re.compile(r"\b(interview|documentary|handheld|vlog|behind the scenes)\b", re.I)
_CAMERA_MOVES = (
    (re.compile(r"\bslow(?:ly)? zooms? (?:in|into)|\bzooms? in\b|\bpush(?:es)?[- ]in\b", re.I), "slow push-in"),
    (re.compile(r"\bzooms? out|\bpulls? back\b", re.I), "slow pull-back"),
    (re.compile(r"\bpans? (?:left|across)\b", re.I), "slow pan left"),
    (re.compile(r"\bpans? (?:right)?\b", re.I), "slow pan right"),
    (re.compile(r"\b(?:aerial|drone|bird'?s[- ]eye)\b", re.I), "slow aerial drift"),
    (re.compile(r"\borbits?\b|\bcircles? around\b", re.I), "slow orbit"),
    (re.compile(r"\btracking\b|\bfollows?\b", re.I), "tracking alongside the subject"),
    (re.compile(r"\bdolly\b", re.I), "slow dolly in"),
)
_SPEECH_VERBS = (r"says|said|asks|asked|shouts|shouted|whispers|whispered|replies|replied|cries|"
                 r"cried|yells|yelled|answers|answered|calls|called|adds|added|mutters|muttered|"
                 r"exclaims|exclaimed|laughs|laughed|sings|sang|tells|told|announces|announced|"
                 r"giggles|giggled|sighs|sighed|murmurs|murmured|screams|screamed|explains|explained")
_DELIVERY = {"whispers": "whispering", "whispered": "whispering", "shouts": "shouting",
             "shouted": "shouting", "yells": "shouting", "yelled": "shouting",
             "laughs": "laughing", "laughed": "laughing", "cries": "crying out",
             "cried": "crying out", "mutters": "muttering", "muttered": "muttering",
             "sings": "singing", "sang": "singing", "giggles": "giggling", "sighs": "sighing",
             "murmurs": "softly", "murmured": "softly", "screams": "screaming",
             "exclaims": "excited", "exclaimed": "excited", "announces": "announcing"}

#: capitalised words that are not names
_NOT_NAMES = set("""
the a an in on at to of and or but so then suddenly later meanwhile finally after before when
while as once one two three there here it this that these those we you i they she he her his
their our my its everyone nobody someone somebody outside inside next now soon slowly quickly
together cut close wide scene shot camera narrator narration title style duration aspect format
music sound voice yes no hello hi hey oh wow okay ok thanks thank please look see come go let
what why how where who which with without from into onto over under up down out off all every
each both some many few more most no not never always just only even also still again today
tonight tomorrow yesterday monday tuesday wednesday thursday friday saturday sunday january
february march april may june july august september october november december morning evening
night day dusk dawn moments minutes seconds hours years first last end fade cue intro outro
finally eventually instead perhaps maybe good great new old big small little ready welcome
introducing meet behind beneath above across around through during until since because if
unless whether like near far far-off inside within our your its god lord mister miss sir madam
""".split())
_TITLES = {"dr", "dr.", "mr", "mr.", "mrs", "mrs.", "ms", "ms.", "professor", "prof", "prof.",
           "captain", "capt.", "uncle", "aunt", "grandma", "grandpa", "sir", "lady", "lord",
           "king", "queen", "prince", "princess", "officer", "detective", "agent", "chef"}
_NAME_RE = re.compile(r"\b((?:(?:Dr|Mr|Mrs|Ms|Prof|Capt)\.\s+|(?:Professor|Captain|Uncle|Aunt|"
                      r"Grandma|Grandpa|Sir|Lady|Lord|King|Queen|Prince|Princess|Officer|"
                      r"Detective|Agent|Chef)\s+)?[A-Z][a-z][\w'-]*(?:\s+[A-Z][a-z][\w'-]*)?)")
_PERSON_RE = re.compile(
    r"\b(a|an|the|one|another)\s+((?:(?!(?:a|an|the|is|was|are|were|and|or|of|to|in|on|at|"
    r"with|his|her|their|its)\b)[a-z][\w'-]*\s+){0,3}?)("
    + "|".join(sorted(PERSON_NOUNS, key=len, reverse=True)) + r")\b", re.I)


# -- records --------------------------------------------------------------------------------------


@attrs.define
class _Character:
    id: str
    name: str
    noun: str | None = None
    description: str = ""
    gender: str | None = None
    hair: str | None = None
    wardrobe: str | None = None
    aliases: set[str] = attrs.Factory(set)


@attrs.define
class _Shot:
    sentence: str
    action: str
    environment: str
    characters: list[str] = attrs.Factory(list)
    dialogue: list[dict[str, Any]] = attrs.Factory(list)
    narration: list[str] = attrs.Factory(list)
    duration: float | None = None


@attrs.frozen(kw_only=True)
class Outline:
    """What :func:`outline` drafted: the film data, and what it understood and left open."""

    data: dict[str, Any]
    #: field -> what was taken as given from the text (``{"duration_s": 10}``)
    understood: Mapping[str, Any] = attrs.field(factory=dict)
    #: what the text left open, for ``draft --interactive`` (``title``, ``aspect_ratio``,
    #: ``characters.<id>.look``, ``characters.<id>.voice``, ``characters.<id>.references``,
    #: ``duration_s``)
    open: tuple[str, ...] = ()

    @property
    def notes(self) -> dict[str, Any]:
        return {"understood": dict(self.understood), "open": list(self.open)}


# -- the drafter ----------------------------------------------------------------------------------


def outline(text: str, given: Mapping[str, Any] | None = None) -> Outline:
    """Draft film data from ``text``. ``given`` fixes what the user decided (``title``,
    ``aspect_ratio``, ``style``, ``duration_s``, ``narration``, ``provider``,
    ``speech_provider``); the text's own hints come next, then what the words suggest."""
    given = dict(given or {})
    hint = hints(sentences(text))
    lines = list(hint.rest)
    whole = " ".join(lines)
    story = bool(_STORY_WORDS.search(whole))
    narrate = given.get("narration", hint.narration)
    if narrate is None:
        narrate = story
    cast = _Cast()
    envs: dict[str, dict[str, Any]] = {}
    env_order: list[str] = []
    shots: list[_Shot] = []
    current_env: str | None = None
    pending: list[str] = []
    env_text: dict[str, list[str]] = {}
    cast.brands = _brands(lines)

    for sentence in lines:
        narrator_line = re.match(r"^\s*(?:the\s+)?(?:narrator|narration|voice-?over)\s*"
                                 r"(?:says|:)\s*(.+)$", sentence, re.I)
        if narrator_line:
            said = _narration_text(narrator_line.group(1).strip().strip('"\u201c\u201d '))
            if shots:
                shots[-1].narration.append(said)
            else:
                pending.append(said)  # spoken over the first shot
            continue
        speech = quotes(sentence)
        bare = _without_quotes(sentence, speech)
        place = _place(bare)
        if place is not None:
            env_id, env = place
            if env_id not in envs or current_env is None:
                if env_id not in envs:
                    envs[env_id] = env
                    env_order.append(env_id)
            if current_env is None or env_id != current_env:
                # a weak place ("on the counter") never moves an existing scene
                if current_env is None or env_id not in _WEAK_IDS:
                    current_env = env_id
        present = cast.read(bare)
        speakers = [(q, cast.speaker(sentence, q, present)) for q in speech]
        for _, who in speakers:
            if who and who not in present:
                present.append(who)
        action = _action(bare, cast, present)
        if not action and speakers and shots and len(shots[-1].dialogue) < 2 and all(
                w is not None for _, w in speakers):
            target = shots[-1]  # a line on its own: spoken in the shot before
        else:
            target = _Shot(sentence=sentence, action=action, environment=current_env or "",
                           narration=pending)
            pending = []
            shots.append(target)
        env_text.setdefault(current_env or "", []).append(bare)
        for cid in present:
            if cid not in target.characters:
                target.characters.append(cid)
        for q, who in speakers:
            if who is None:
                target.narration.append(_narration_text(q.text))
            else:
                said = re.sub(r",$", ".", q.text)
                line: dict[str, Any] = {"speaker": who, "line": said}
                delivery = _delivery(sentence, q)
                if delivery:
                    line["delivery"] = delivery
                target.dialogue.append(line)
        if narrate and action and not speech:
            target.narration.append(_narration_text(bare))
        target.duration = _shot_seconds(bare)
        if time := _time_of_day(bare):
            env_key = current_env
            if env_key and "time_of_day" not in envs[env_key]:
                envs[env_key]["time_of_day"] = time

    if not shots:  # nothing but hints or narration: one shot of the place
        shots.append(_Shot(sentence=text, action="", environment="", narration=pending))
    elif pending:
        shots[-1].narration.extend(pending)
    product = _product(whole)
    if not envs:
        envs["setting"] = ({"description": "a clean studio backdrop with a soft gradient",
                            "lighting": "soft studio light"} if product or _AD_WORDS.search(whole)
                           else {"description": _fallback_setting(whole, story)})
        env_order.append("setting")
    first_env = env_order[0]
    for s in shots:
        s.environment = s.environment or first_env
        if not s.action:
            who = [cast.by_id[c].name for c in s.characters]
            s.action = (f"{_join(who)} {'speak' if len(who) > 1 else 'speaks'}." if who
                        else f"A view of {envs[s.environment]['description']}.")
    for env_id, env in envs.items():
        lighting = env.get("lighting") or _lighting(" ".join(
            env_text.get(env_id, []) + (env_text.get("", []) if env_id == first_env else [])))
        if lighting:
            env["lighting"] = lighting

    style_words = given.get("style") or hint.style
    style, style_open = _style(style_words, whole, story, bool(product or _AD_WORDS.search(whole)))
    aspect = given.get("aspect_ratio") or hint.aspect_ratio
    total = given.get("duration_s") or hint.duration_s
    title = given.get("title") or hint.title
    action_lines = [ln for ln in lines if not re.match(r"^\s*(?:the\s+)?(?:narrator|narration|"
                                                         r"voice-?over)\b", ln, re.I)]
    open_: list[str] = []
    if not title:
        open_.append("title")
        title = _title(action_lines, cast, product)
    if not aspect:
        open_.append("aspect_ratio")
    if total is None:
        open_.append("duration_s")
    if style_open:
        open_.append("style")

    characters: dict[str, Any] = {}
    for ch in cast.ordered():
        if not any(ch.id in s.characters for s in shots):
            continue
        entry: dict[str, Any] = {"name": ch.name, "description": _describe(ch)}
        if ch.hair:
            entry["identity"] = {"hair": ch.hair}
        if ch.wardrobe:
            entry["wardrobe"] = ch.wardrobe
        characters[ch.id] = entry
        if not ch.hair and not ch.wardrobe:
            open_.append(f"characters.{ch.id}.look")
        if any(ln["speaker"] == ch.id for s in shots for ln in s.dialogue):
            open_.append(f"characters.{ch.id}.voice")
        open_.append(f"characters.{ch.id}.references")

    presets = _presets(shots, cast, product)
    durations = _durations(shots, presets, total)
    scenes: list[dict[str, Any]] = []
    for index, (s, preset, duration) in enumerate(zip(shots, presets, durations, strict=True)):
        if not scenes or scenes[-1]["environment"] != s.environment:
            scenes.append({"id": _unique(slug(s.environment, "scene"),
                                         {sc["id"] for sc in scenes}),
                           "environment": s.environment, "characters": [], "shots": []})
        scene = scenes[-1]
        for cid in s.characters:
            if cid in characters and cid not in scene["characters"]:
                scene["characters"].append(cid)
        shot: dict[str, Any] = {"id": f"shot-{index + 1}", "action": s.action}
        if preset in _PRESET_NAMES:
            shot["preset"] = preset
        else:
            shot["type"] = preset
        move = _camera_move(s.sentence)
        if move:
            shot["camera"] = {"movement": move}
        shot["characters"] = [c for c in s.characters if c in characters]
        if s.dialogue:
            shot["dialogue"] = s.dialogue
        if s.narration:
            shot["narration"] = " ".join(s.narration)
        shot["duration"] = duration
        if mood := _mood(s.sentence):
            shot["mood"] = mood
        scene["shots"].append(shot)

    data: dict[str, Any] = {"title": title}
    if aspect:
        data["format"] = {"aspect_ratio": aspect}
    defaults = {k: given[k] for k in ("provider", "speech_provider") if given.get(k)}
    if defaults:
        data["defaults"] = defaults
    data["style"] = style
    if characters:
        data["characters"] = characters
    data["environments"] = {k: envs[k] for k in env_order}
    data["scenes"] = scenes
    understood: dict[str, Any] = {
        "characters": list(characters), "places": list(env_order), "shots": len(shots),
        "style": style.get("preset") or list(style.get("traits", ())),
    }
    for key, value in (("title", given.get("title") or hint.title), ("aspect_ratio", aspect),
                       ("duration_s", total)):
        if value:
            understood[key] = value
    return Outline(data=data, understood=understood, open=tuple(open_))


# -- characters ------------------------------------------------------------------------------------


class _Cast:
    """The characters met so far and who the pronouns point at."""

    def __init__(self) -> None:
        self.by_id: dict[str, _Character] = {}
        self._order: list[str] = []
        self.last: str | None = None
        self.last_by_gender: dict[str, str] = {}
        self.last_sentence: list[str] = []
        #: capitalised words that name a product, not a person (``Zest``)
        self.brands: set[str] = set()

    def ordered(self) -> list[_Character]:
        return [self.by_id[i] for i in self._order]

    def _add(self, ch: _Character) -> _Character:
        ch.id = _unique(ch.id, set(self.by_id))
        self.by_id[ch.id] = ch
        self._order.append(ch.id)
        return ch

    def _find(self, word: str) -> _Character | None:
        key = word.lower()
        for ch in self.by_id.values():
            if key == ch.name.lower() or key in ch.aliases:
                return ch
        return None

    def read(self, sentence: str) -> list[str]:
        """The characters a sentence mentions (new ones are added), in order of mention."""
        mentions: list[tuple[int, str]] = []
        taken: list[tuple[int, int]] = []
        for m in _NAME_RE.finditer(sentence):
            name = m.group(1)
            first = name.split()[0].lower().rstrip(".")
            if first in _NOT_NAMES or name.lower() in _NOT_NAMES or name.lower() in self.brands:
                continue
            ch = self._find(name) or self._find(name.split()[-1])
            if ch is None:
                if not self._looks_like_person(sentence, m):
                    continue
                ch = self._add(_Character(id=slug(name.split()[-1] if first in _TITLES
                                                  else name.split()[0]), name=name))
                ch.aliases |= {name.lower(), name.split()[0].lower(), name.split()[-1].lower()}
                appositive = re.match(r",\s+(a|an|the)\s+([^,.;!?]+?)(?=,|\.|;|!|\?|$| who\b)",
                                      sentence[m.end():])
                if appositive:
                    ch.description = f"{appositive.group(1)} {appositive.group(2).strip()}"
                    head = appositive.group(2).split()[-1].lower()
                    ch.noun = head if head in PERSON_NOUNS else None
                    ch.gender = PERSON_NOUNS.get(head)
                    taken.append((m.end(), m.end() + appositive.end()))
                self._look(ch, sentence[m.end():])
            mentions.append((m.start(), ch.id))
            taken.append((m.start(), m.end()))
        for m in _PERSON_RE.finditer(sentence):
            article, mods, noun = m.group(1).lower(), m.group(2).strip(), m.group(3).lower()
            if _inside(m.start(), taken) or _compound(sentence[m.end():]):
                continue
            if re.search(r"\b(is|was|are|were|be|becomes|became|as|like|into)\s*$",
                         sentence[: m.start()], re.I):
                continue  # "the moon was a friend": said about someone, not someone new
            known = self._noun(noun)
            if known is not None and (article == "the" or not mods):
                ch = known
            else:
                words = f"{mods} {noun}".strip()
                ch = self._add(_Character(
                    id=slug(noun), name=noun.capitalize(), noun=noun,
                    description=f"{'an' if words[0] in 'aeiou' else 'a'} {words}",
                    gender=PERSON_NOUNS.get(noun)))
                self._look(ch, sentence[m.end():])
            mentions.append((m.start(), ch.id))
            taken.append((m.start(), m.end()))
        agent = re.match(r"^(?:A|An|The)\s+((?:[a-z]+\s+){0,2}?)([a-z]+(?:er|or|ist|ian))\s+"
                         r"(?:[a-z]+ly\s+)?[a-z]+s\b", sentence)
        if agent and not _inside(0, taken) and agent.group(2) not in PRODUCT_NOUNS \
                and agent.group(2) not in PLACE_NOUNS:  # "A skateboarder rolls": someone acts
            noun = agent.group(2)
            ch = self._noun(noun) or self._add(_Character(
                id=slug(noun), name=noun.capitalize(), noun=noun,
                description=f"{'an' if (agent.group(1) or noun)[0] in 'aeiou' else 'a'} "
                            f"{(agent.group(1) + noun).strip()}"))
            mentions.append((0, ch.id))
            taken.append((0, agent.end(2)))
        subject = min(mentions)[1] if mentions else None
        for m in re.finditer(r"\b(she|her|hers|herself|he|him|his|himself|they|them|their|both)\b",
                             sentence, re.I):
            if _inside(m.start(), taken):
                continue
            word = m.group(1).lower()
            before = [c for p, c in mentions if p < m.start()]
            obj = word in ("him", "them") or (word == "her" and _object_her(sentence[m.end():]))
            for cid in self._pronoun(word, before=before,
                                     exclude=subject if obj and m.start() > 0 else None):
                mentions.append((m.start(), cid))
        ordered: list[str] = []
        for _, cid in sorted(mentions):
            if cid not in ordered:
                ordered.append(cid)
        if ordered:
            self.last = ordered[0]
            for cid in ordered[::-1]:
                g = self.by_id[cid].gender
                if g:
                    self.last_by_gender[g] = cid
            if subject and (g := self.by_id[subject].gender):
                self.last_by_gender[g] = subject
            self.last_sentence = ordered
        return ordered

    def _noun(self, noun: str) -> _Character | None:
        for ch in self.by_id.values():
            if ch.noun == noun:
                return ch
        return None

    def _pronoun(self, word: str, before: list[str], exclude: str | None = None) -> list[str]:
        if word in _PLURAL:
            group = list(self.last_sentence) or list(self._order)
            return group if len(group) > 1 else list(self._order[-2:])
        gender = "female" if word in _FEMALE else "male"
        known = self.last_by_gender.get(gender)
        if known is not None and known != exclude:
            return [known]
        candidates = [c for c in [*before[::-1], self.last, *self._order[::-1]]
                      if c is not None and c != exclude and self.by_id[c].gender is None]
        if not candidates:
            return [known] if known is not None and exclude is None else []
        ch = self.by_id[candidates[0]]
        ch.gender = gender  # the pronoun tells us
        self.last_by_gender[gender] = ch.id
        return [ch.id]

    @staticmethod
    def _looks_like_person(sentence: str, m: re.Match[str]) -> bool:
        """A capitalised word is a name when it acts (followed by a verb), speaks, or is
        introduced as a person (``Mira, a young illustrator``); not after an article (a
        product: ``the AuraPhone``) or a place preposition (``in Paris``)."""
        before = sentence[: m.start()].rstrip().lower()
        after = sentence[m.end():]
        word = m.group(1)
        if re.search(rf"\b(the|a|an|{_PLACE_PREP[3:-1]}|of|down|up|past)$", before):
            return False
        if not before and re.search(r"(ing|ly|ed)$", word.split()[0]):
            return False  # "Fishing boats rock", "Slowly...": a sentence opens with them
        if re.match(rf"^\s*(?:,\s*)?(?:{_SPEECH_VERBS})\b|^\s*:\s*[\"\u201c]", after):
            return True
        if re.search(rf"(?:{_SPEECH_VERBS})\s*$", before):
            return True
        appositive = re.match(r"^,\s+(?:a|an|the)\s+([^,.;!?]+)", after)
        if appositive:
            head = appositive.group(1).split()
            return not any(w.lower() in PRODUCT_NOUNS or w.lower() in PLACE_NOUNS for w in head)
        group = re.match(r"^((?:\s*,\s*|\s+and\s+|,\s+and\s+)[A-Z][a-z][\w'-]*)+", after)
        if group:  # "Ada, Ben and Carla sit": a list of names that act together
            tail = after[group.end():]
            return bool(re.match(r"^\s+[a-z]+", tail))
        if re.search(r"(?:,|\band)\s*$", before) and re.match(r"^\s*(?:,|and\b)", after):
            return True
        if re.search(r"\b[A-Z][a-z][\w'-]*,?\s+and\s*$", sentence[: m.start()]) \
                and re.match(r"^\s+[a-z]+", after):
            return True  # "... Ben and Carla sit"
        verb = re.match(r"^\s+(?:(?:and|then|slowly|quickly|suddenly|finally|also|gently|"
                        r"carefully|happily|quietly|nervously)\s+)?([a-z]+)", after)
        if verb:
            word = verb.group(1)
            return (word.endswith(("s", "ed")) and not word.endswith("ss")) or word in {
                "is", "has", "was", "can", "will", "and", "told", "ran", "sat", "met", "saw",
                "took", "came", "went", "stood", "found", "held", "made", "said"}
        return bool(re.match(r"^\s*(?:'s)\b", after))

    @staticmethod
    def _look(ch: _Character, after: str) -> None:
        hair = re.match(r"^\s*(?:,\s*)?with\s+((?:[\w-]+\s+){0,3}(?:hair|beard|braids|curls))", after)
        if hair:
            ch.hair = hair.group(1).strip()
        wear = re.search(r"\b(?:wearing|dressed in|in)\s+((?:a|an|her|his)\s+)?((?:[\w-]+\s+){0,3}"
                         r"(?:coat|jacket|dress|suit|sweater|hoodie|raincoat|uniform|scarf|hat|"
                         r"cape|robe|armou?r|overalls|shirt|t-shirt|lab coat|apron|boots))\b",
                         after[:80])
        if wear:
            ch.wardrobe = wear.group(2).strip()

    def speaker(self, sentence: str, q: Any, present: list[str]) -> str | None:
        """Who says a quote: ``Mira says``, ``says Mira``, ``she asks``, ``Mira: "..."``;
        else the only character in the sentence; else None (narration)."""
        before, after = sentence[: q.start], sentence[q.end:]
        patterns = (
            (after, rf"^\W*(?:{_SPEECH_VERBS})\s+([A-Z][\w'-]*(?:\s+[A-Z][\w'-]*)?|the\s+\w+)"),
            (after, rf"^\W*([A-Z][\w'-]*(?:\s+[A-Z][\w'-]*)?|she|he|the\s+\w+)\s+(?:{_SPEECH_VERBS})\b"),
            (before, rf"([A-Z][\w'-]*(?:\s+[A-Z][\w'-]*)?|[Ss]he|[Hh]e|[Tt]he\s+\w+)\s+(?:\w+\s+)?"
                     rf"(?:{_SPEECH_VERBS})\W*$"),
            (before, r"([A-Z][\w'-]*(?:\s+[A-Z][\w'-]*)?|[Tt]he\s+\w+)\s*:\s*$"),
        )
        for part, pattern in patterns:
            m = re.search(pattern, part, re.I if pattern.startswith("^") and False else 0)
            if not m:
                continue
            who = m.group(1)
            if who.lower() in ("the narrator", "narrator"):
                return None
            if who.lower() in ("she", "he"):
                found = self._pronoun(who.lower(), before=present)
                return found[0] if found else None
            ch = self._find(who) or self._find(who.split()[-1])
            if ch is None and who.lower().startswith("the "):
                ch = self._noun(who.split()[-1].lower())
            if ch is not None:
                return ch.id
        if len(present) == 1:
            return present[0]
        if present:
            return present[0]
        return None


_COMPOUNDS = set("story stories costume costumes mask masks ship town house toy toys figure "
                 "figurine doll movie film book books shaped cake statue balloon puppet "
                 "kite picture drawing".split())
ANIMALS = set("dragon fox cat dog puppy kitten rabbit bunny bear owl mouse bird penguin lion "
              "wolf elephant monkey turtle squirrel hedgehog frog robot alien ghost".split())


def _brands(lines: list[str]) -> set[str]:
    """Capitalised words that name a product: after ``the``/``of``/``Introducing``, or
    followed by a product noun, in a text that reads like an ad."""
    whole = " ".join(lines)
    if not _AD_WORDS.search(whole):
        return set()
    found = set()
    for m in re.finditer(r"(?:\b(?:the|of|introducing|Introducing|try|Try)\s+)([A-Z][\w'-]+)"
                         r"|\b([A-Z][\w'-]+)(?=\s+(?:" + "|".join(sorted(PRODUCT_NOUNS)) + r")\b)"
                         r"|^([A-Z][\w'-]+):", whole):
        word = next(g for g in m.groups() if g)
        if word.lower() not in _NOT_NAMES:
            found.add(word.lower())
    return found


def _compound(after: str) -> bool:
    """``a ghost story``: the noun describes the next word, it is not a character."""
    m = re.match(r"^\s+([a-z]+)", after)
    return bool(m and m.group(1) in _COMPOUNDS)


def _object_her(after: str) -> bool:
    """``offers her his umbrella`` (object) vs ``her notebook`` (possessive)."""
    return bool(re.match(r"^\s*(?:[,.;!?]|$|his\b|a\b|an\b|the\b|their\b|back\b|up\b|"
                         r"away\b|to\b|with\b|and\b|in\b|on\b|at\b|for\b)", after))


def _describe(ch: _Character) -> str:
    text = ch.description or (f"{'an' if ch.noun[0] in 'aeiou' else 'a'} {ch.noun}" if ch.noun
                              else "")
    if ch.gender and ch.gender != PERSON_NOUNS.get(ch.noun or "") and not re.search(
            r"\b(woman|man|girl|boy|lady|she|he)\b", text):
        if ch.noun in ANIMALS:  # casting reads the pronoun; "a bunny, a man" would be wrong
            text = f"{text} ({'she' if ch.gender == 'female' else 'he'})"
        else:
            word = "woman" if ch.gender == "female" else "man"
            text = f"{text}, a {word}" if text else f"a {word}"
    return text or "a character"


# -- places, shots, presets ------------------------------------------------------------------------

_WEAK_IDS = {slug(p) for p in _WEAK_PLACES}
_PLACE_PREP_WORDS = set(_PLACE_PREP[3:-1].split("|")) | {"and", "with", "while", "as"}


def _place(sentence: str) -> tuple[str, dict[str, Any]] | None:
    best = None
    for m in _PLACE_RE.finditer(sentence):
        mods: list[str] = []
        for w in m.group(1).split():  # the adjectives right before the noun
            if w.lower() in _NOT_NAMES or w.lower() in PERSON_NOUNS or w.lower() in _TIMES \
                    or w.lower() in _PLACE_PREP_WORDS or w.lower().endswith("ly"):
                mods = []
            else:
                mods.append(w)
        noun = m.group(2).lower()
        if re.search(r"\b(?:looks?|looked|stares?|stared|gazes?|gazed|points?|pointed|waves?|"
                     r"waved|up|out|towards?)\s+(?:up\s+)?(?:at|to|towards?)?\s*$",
                     sentence[: m.start() + len(m.group(0).split()[0])].rsplit(" ", 1)[0] + " ",
                     re.I) and noun in _SIGHTS:
            continue  # "looks up at the moon": something seen, not where the shot is
        weak = noun in _WEAK_PLACES
        if best is None or (best[2] and not weak):
            best = (noun, mods, weak)
    if best is None:
        return None
    noun, mods, _weak = best
    words = " ".join([*mods, noun])
    article = "the" if noun.endswith("s") and not noun.endswith("ss") else \
        "an" if words[0] in "aeiou" else "a"
    return slug(noun), {"description": f"{article} {words}"}


def _time_of_day(sentence: str) -> str | None:
    for word, value in _TIMES.items():
        if re.search(rf"\b{word}\b", sentence, re.I):
            return value
    return None


def _lighting(whole: str) -> str | None:
    for word, light in _LIGHT_WORDS:
        if re.search(rf"\b{word}\w*\b", whole, re.I):
            return light
    return None


def _without_quotes(sentence: str, speech: list[Any]) -> str:
    out = sentence
    for q in reversed(speech):
        out = out[: q.start] + " " + out[q.end:]
    out = re.sub(rf"[,:]?\s*(?:\b(?:[A-Z][\w'-]*|she|he|they|the\s+\w+)\s+)?(?:\w+ly\s+)?"
                 rf"\b(?:{_SPEECH_VERBS})\b(?:\s+(?:[A-Z][\w'-]*|the\s+\w+))?\s*[,.!?]*\s*$",
                 "", out.strip())
    out = re.sub(rf"^\s*[,.!?]*\s*(?:[A-Z][\w'-]*|[Ss]he|[Hh]e)\s+(?:{_SPEECH_VERBS})\b[.,!?]*\s*$",
                 "", out)
    out = re.sub(r"\s*:\s*$", "", out)
    return " ".join(out.split()).strip(" ,;:")


def _action(bare: str, cast: _Cast, present: list[str]) -> str:
    """The sentence as a shot's action, with a leading pronoun replaced by the name (each
    shot is rendered on its own: ``She reaches`` says nothing to a video model)."""
    text = bare.strip()
    if not re.search(r"[a-z]{3,}", text) or re.fullmatch(r"(?:[A-Z][\w'-]*\s*)+", text) \
            or text.lower() in ("she", "he", "they", "it", "and"):
        return ""  # only an attribution or a name left
    m = re.match(r"^(She|He|They)\b", text, re.I)
    if m and present:
        who = present[: (2 if m.group(1) == "They" and len(present) > 1 else 1)]
        names = _join([_label(cast.by_id[c]) for c in who])
        text = names + text[len(m.group(1)):]
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def _label(ch: _Character) -> str:
    return ch.name if not ch.noun or ch.name != ch.noun.capitalize() else f"The {ch.noun}"


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _narration_text(bare: str) -> str:
    text = bare.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def _delivery(sentence: str, q: Any) -> str | None:
    near = sentence[max(0, q.start - 40): q.end + 40]
    for verb, how in _DELIVERY.items():
        if re.search(rf"\b{verb}\b", near):
            return how
    m = re.search(r"\b(softly|angrily|happily|sadly|quietly|loudly|nervously|proudly|excitedly|"
                  r"gently|calmly|sternly|warmly|cheerfully)\b", near)
    return m.group(1) if m else None


def _shot_seconds(sentence: str) -> float | None:
    m = re.search(r"\b(?:for|lasting|over)\s+(\d+(?:\.\d+)?)\s*(seconds?|secs?)\b", sentence, re.I)
    return float(m.group(1)) if m else None


def _product(whole: str) -> str | None:
    if not _AD_WORDS.search(whole):
        return None
    for m in re.finditer(r"\b([a-z]+)\b", whole.lower()):
        if m.group(1) in PRODUCT_NOUNS:
            return m.group(1)
    return "product"


_PRESET_NAMES = {"establishing-wide", "dramatic-close-up", "intimate-dialogue",
                 "over-the-shoulder", "action-tracking", "documentary-handheld", "product-hero"}


def _presets(shots: list[_Shot], cast: _Cast, product: str | None) -> list[str]:
    out: list[str] = []
    for i, s in enumerate(shots):
        words = s.sentence
        first_here = i == 0 or shots[i - 1].environment != s.environment
        explicit = _explicit_type(words)
        if explicit:
            out.append(explicit)
        elif product and not s.dialogue and (re.search(rf"\b{product}s?\b", words, re.I) or any(
                re.search(rf"\b{re.escape(b)}\b", words, re.I) for b in cast.brands)):
            out.append("product-hero")
        elif _DOCUMENTARY.search(words):
            out.append("documentary-handheld")
        elif s.dialogue:
            speakers = {ln["speaker"] for ln in s.dialogue}
            if len(s.characters) >= 2 and (len(speakers) >= 2 or not out
                                           or out[-1] != "over-the-shoulder"):
                out.append("over-the-shoulder")
            else:
                out.append("intimate-dialogue")
        elif _ACTION.search(words):
            out.append("action-tracking")
        elif first_here and (not s.characters or _ARRIVAL.search(words)
                             or _place(words) is not None) and not _CLOSE_UP.search(words):
            out.append("establishing-wide")
        elif _CLOSE_UP.search(words) and s.characters:
            out.append("dramatic-close-up")
        elif len(s.characters) >= 2:
            out.append("two-shot")
        elif not s.characters:
            out.append("wide")
        else:
            out.append("medium")
    return out


def _explicit_type(words: str) -> str | None:
    for pattern, value in ((r"\bextreme close[- ]up\b", "extreme-close-up"),
                           (r"\bclose[- ]up\b", "close-up"), (r"\bwide shot\b", "wide"),
                           (r"\bmedium shot\b", "medium"), (r"\btwo[- ]shot\b", "two-shot"),
                           (r"\bover[- ]the[- ]shoulder\b", "over-the-shoulder"),
                           (r"\bpoint[- ]of[- ]view\b|\bpov\b", "pov")):
        if re.search(pattern, words, re.I):
            return value
    return None


def _camera_move(words: str) -> str | None:
    for pattern, move in _CAMERA_MOVES:
        if pattern.search(words):
            return move
    return None


_MOODS = (("tense", r"\b(tense|danger|afraid|scared|terrified|dark|storm|chase)\b"),
          ("wonder", r"\b(amazed|awe|wonder|glowing|magic|magical|discovers?)\b"),
          ("joyful", r"\b(laughs?|happy|joy|celebrates?|cheers?|delighted|smiles?)\b"),
          ("sad", r"\b(sad|cries|tears|alone|lonely|loss)\b"),
          ("calm", r"\b(calm|quiet|peaceful|gently|softly|sleeps?)\b"))


def _mood(words: str) -> str | None:
    for mood, pattern in _MOODS:
        if re.search(pattern, words, re.I):
            return mood
    return None


_DIALOGUE_TAIL = 0.6


def _durations(shots: list[_Shot], presets: list[str], total: float | None) -> list[Any]:
    """Shots with speech are ``auto`` (fitted to it); silent shots get seconds: a share of
    the film's length when it is given, else by what they show."""
    from ministudio.compile.planner import TAIL_S, estimate_speech_s

    speech = [[*(ln["line"] for ln in s.dialogue), *s.narration] for s in shots]
    own = [s.duration for s in shots]
    silent = [i for i, lines in enumerate(speech) if not lines and own[i] is None]
    out: list[Any] = ["auto" if lines and own[i] is None else own[i]
                      for i, lines in enumerate(speech)]
    if total:
        fixed = sum(estimate_speech_s(lines) + TAIL_S for lines in speech if lines) + sum(
            d for d in own if d is not None)
        if silent:
            share = max(1.0, (float(total) - fixed) / len(silent))
            share = round(share * 2) / 2
            for i in silent:
                out[i] = share
            # whole seconds add up to the length asked for: the last silent shot takes the rest
            rest = round(float(total) - fixed - share * (len(silent) - 1), 2)
            if rest >= 1.0:
                out[silent[-1]] = rest
    else:
        for i in silent:
            out[i] = {"establishing-wide": 5.0, "product-hero": 4.0, "action-tracking": 4.0,
                      "dramatic-close-up": 3.5}.get(presets[i], 4.0)
    return [float(d) if isinstance(d, int | float) else d for d in out]


def _style(words: str | None, whole: str, story: bool, ad: bool) -> tuple[dict[str, Any], bool]:
    """The style block and whether it was a guess (left open)."""
    if words:
        key = words.strip().lower()
        if key in STYLE_PRESETS:
            return {"preset": key}, False
        for preset, pattern in _STYLE_WORDS:
            if pattern.search(key) or key.replace(" ", "-") == preset:
                left = pattern.sub("", key).strip(" -,")
                extra = [] if not left or key.replace(" ", "-") == preset else [words.strip()]
                return ({"preset": preset, "traits": extra} if extra else {"preset": preset}), False
        return {"traits": [words.strip()]}, False
    if story:
        return {"preset": "storybook"}, True
    for preset, pattern in _STYLE_WORDS:
        if pattern.search(whole):
            return {"preset": preset}, True
    return {"preset": "cinematic"}, True


def _title(lines: list[str], cast: _Cast, product: str | None) -> str:
    """A short title from the first thing that happens: its object (``a glowing orb`` →
    ``The Glowing Orb``), else the characters' names."""
    first = lines[0] if lines else ""
    people = set(PERSON_NOUNS)
    for m in re.finditer(r"\b(?:a|an|the)\s+([a-z][^.,;:!?\"]*)", first):
        words: list[str] = []
        for w in m.group(1).split()[:4]:
            if w.lower() in _NOT_NAMES or w.lower() in _PLACE_PREP_WORDS or w.lower() in (
                    "time", "while", "moment") or (words and w.endswith("s")):
                break
            words.append(w)
        ahead = m.group(1).lower().split()[:4]
        if not words or words[-1].lower() in people or any(
                re.search(rf"\b{re.escape(p)}\b", " ".join(ahead)) for p in PLACE_NOUNS) \
                or words[-1].endswith("s") and len(words) == 1:
            continue
        return "The " + " ".join(w.capitalize() for w in words)
    if cast.brands:
        return sorted(cast.brands, key=lambda b: " ".join(lines).lower().find(b))[0].title()
    names = [c.name for c in cast.ordered() if c.name != (c.noun or "").capitalize()][:3]
    if names:
        return _join(names)
    if cast.ordered():
        return f"The {cast.ordered()[0].name}"
    if product:
        return f"The {product.capitalize()}"
    words = re.findall(r"[A-Za-z][\w'-]*", first)[:5]
    return " ".join(w.capitalize() for w in words) or "Untitled"


def _fallback_action(text: str) -> str:
    words = " ".join(text.split())[:200]
    return words if words.endswith(".") else words + "."


def _fallback_setting(whole: str, story: bool) -> str:
    if story:
        return "a gentle storybook landscape of rolling hills"
    return "a simple, softly lit setting"


def _unique(base: str, taken: set[str]) -> str:
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def _inside(pos: int, spans: list[tuple[int, int]]) -> bool:
    return any(a <= pos < b for a, b in spans)


_ = Hints  # re-exported type for callers of hints()
