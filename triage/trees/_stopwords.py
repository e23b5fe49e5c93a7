"""Stop words per language: the function words a customer types around the words that name a problem.

Written in the customers' spelling (with and without accents, contractions without the apostrophe); the
analyser folds them, so ``się`` and ``sie`` are one word. Negations are stop words: nearly every customer
phrasing says "not" ("not working", "geht nicht", "nie działa"), so they tell no tree from another. So are
the verbs that only say that something is wrong (work, go, function: "it doesn't work", "geht nicht", "doet
het niet", "nie działa", "neveikia"): they name no part and no symptom.
"""

from __future__ import annotations

__all__ = ["STOP_WORDS"]

_EN = """
a an the and or but if of to in on at by for with from into onto about as is are was were be been being am
do does did doing done have has had having i me my mine myself we our us you your it itself this that
these those there here he him his she her they them their what which who whom when where why how all any
some no not nor never cant cannot can could would should will wont dont doesnt didnt isnt arent wasnt werent
couldnt wouldnt hasnt havent im ive id ill its thats theres whats just so very really too also again still
anymore then than now please help hi hello thanks thank problem problems issue issues something anything
ok okay yes work works working worked function functions functioning
"""

_DE = """
der die das den dem des ein eine einen einem einer eines und oder aber wenn weil dass daß zu zum zur im in
am an auf aus bei beim mit von vom für fur über uber unter nach vor seit bis ist sind war waren bin bist
sein seid hat habe hab haben hatte hast ich mich mir mein meine meinen meinem meiner meines du dich dir dein
deine er ihn ihm sie es wir uns unser unsere ihr ihre ihren ihrem ihnen man nicht kein keine
keinen keiner keinem keines nichts ja nein auch noch schon nur sehr so mal doch da hier dort was wie wo wann
warum wer kann kannst können konnen könnte koennen will wollen soll hallo bitte danke problem
mehr gar denn dann etwas alles geht gehen ging funktioniert funktionieren funktionierte
"""

_NL = """
de het een en of maar als dan dat die dit deze van voor naar met op in aan uit bij om over tot door te is
zijn was waren ben bent heb hebt heeft hebben had ik mij me mijn wij we ons onze jij je jouw u uw hij zij ze
hun niet geen wel nog al ook er hier daar wat wie waar wanneer hoe waarom kan kun kunnen zal zou wil wilt
doen doet deed hallo alstublieft graag bedankt probleem iets alles meer werkt werken werkte functioneert
"""

_PL = """
i a o u w we z ze na do od po za dla przez przy bez nad pod oraz albo lub ale że to ten ta te tego tej tym
tych jest są był była było były być mam ma masz mają mamy mi mnie mój moja moje mojego mojej moim moją
się nie tak już jeszcze też bardzo tylko czy jak co gdzie kiedy dlaczego czemu jaki jaka jakie który która
które ja ty on ona ono my wy oni one nam nas was wam go jej ich mu jego no teraz dzień dobry proszę pomocy
problem coś wszystko działa działają działać działało działał działała chodzi
"""

_LT = """
ir ar bet o kad jei jeigu nes kaip kur kas kada kodėl tai tas ta tie tos tą šis ši šie šios yra buvo būti
esu esame mano mane man tavo jūsų mūsų aš tu jis ji mes jūs jie jos jo jų jam jai su be iš į prie per po
nuo ant apie už pas dėl iki ne nėra net jau dar tik labai taip sveiki prašau ačiū problema kažkas viskas
veikia neveikia veikti veikė neveikė
"""

STOP_WORDS: dict[str, frozenset[str]] = {
    lang: frozenset(text.split())
    for lang, text in {"en": _EN, "de": _DE, "nl": _NL, "pl": _PL, "lt": _LT}.items()
}
"""Stop words by language (as written; compare them folded, see :func:`triage.trees._analysis.fold`)."""
