"""The words of drawings in English and Russian, so that a question in one finds its line in the other.

People ask in their own language about sheets in another ("which coating do the contacts get?" of
a Russian PCB drawing, «какой масштаб?» of an English plan). Search finds such a sheet by meaning
(the dense ranker), but the quote is chosen, and the crop placed, by the question's words, and no
word of the question is printed on the sheet. So, for choosing quotes and crops only (search keeps
its own terms), each word of the question that is a word of this glossary also matches its
translations: a concept gains their terms (``terms``: exact form and stem), and counts once, as the
same concept, whichever language the line holds it in. The glossary is the general vocabulary of
title blocks, schedules, notes and the trades; a word with several translations lists them all.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from ..terms import query_concepts

# Each entry: English words | Russian words, all the same thing.
ENTRIES = """
drawn drew draw designed designer developed developer author | разраб разработал разработчик разработка выполнил
checked checker verified | пров проверил проверка
approved approver | утв утвердил утверждаю
scale | масштаб
sheet | лист
sheets | листов
title | наименование название
designation code | обозначение шифр
stage phase | стадия
date | дата
format | формат
mass weight | масса вес
material | материал
quantity qty amount | количество кол
group | группа
department chair | кафедра отдел
organization organisation company university institute | организация предприятие университет институт
project | проект объект
client customer owner | заказчик
address | адрес
building | здание
revision change | изм изменение
note notes remark remarks | примечание примечания указания
general | общие общий
solder soldered | припой припоем пайка
tin tinned tinning | залудить лужение луженый
coating | покрытие
paint painted painting | краска окраска
thickness thick | толщина толщиной
width wide | ширина шириной
length long | длина длиной
height high tall | высота высотой
depth deep | глубина глубиной
diameter | диаметр
area | площадь
volume | объем
voltage | напряжение
current amperage | ток
power | мощность питание
supply | питание подача приточная приточной приточный
circuit | цепь
diagram schematic | схема
breaker | автомат выключатель
switch | выключатель переключатель
controller | контроллер
fan | вентилятор
ventilation | вентиляция вентиляции
pump | насос
pipe pipes piping | труба трубы трубопровод
valve | клапан кран
insulation insulated | утеплитель изоляция теплоизоляция
roof roofing | кровля кровли кровель
wall walls | стена стены
floor | пол этаж
ceiling | потолок
window windows | окно окна
door doors | дверь двери
stair stairs staircase | лестница
concrete | бетон
steel | сталь
brick | кирпич
reinforcement rebar | арматура армирование
foundation | фундамент
beam | балка
column | колонна
slab | плита
board pcb | плата
coordinate coordinates | координаты координат
system | система
elevation level | отметка
axis axes grid | ось оси
mark tag position item | марка поз позиция
type | тип
schedule specification | спецификация ведомость
list | перечень список
manufacturer make maker | изготовитель производитель
model | модель
class | класс
accuracy precision | точность
tolerance | допуск
hole holes | отверстие отверстия
layer | слой
mask | маска
grounding earthing ground earth | заземление земля
cable | кабель
wire wiring | провод
lighting light | освещение светильник
heating | отопление
water | вода водоснабжение
drain sewer sewage | канализация трап
fire | пожарный пожарная
room | помещение комната
finish finishes | отделка
"""


@lru_cache(maxsize=1)
def _entries() -> list[frozenset[str]]:
    """Each entry as the set of its words' terms (exact forms and stems, as ``terms`` makes them)."""
    found = []
    for line in ENTRIES.strip().splitlines():
        words = line.replace("|", " ").split()
        found.append(frozenset(term for word in words for concept in query_concepts(word) for term in concept))
    return found


def bilingual(concepts: Sequence[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """``concepts`` with each word's translations among its terms (codes and unknown words unchanged)."""
    entries = _entries()
    widened = []
    for concept in concepts:
        extra = [entry for entry in entries if entry.intersection(concept)]
        widened.append(tuple(dict.fromkeys([*concept, *sorted(term for entry in extra for term in entry)])))
    return widened
