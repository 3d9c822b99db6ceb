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

from ..terms import QUANTITY_MARK, query_concepts

# Each entry: English words | Russian words, all the same thing; a ``%quantity`` also matches any
# value printed in that quantity's unit (``terms.quantity_terms``): "what voltage?" finds "380V".
ENTRIES = """
voltage volts volt | напряжение вольт | %voltage
current amperage amps amp rating rated | ток ампер номинал | %current
power wattage watts | мощность | %power
length long | длина длиной | %length
width wide | ширина шириной | %length
height high tall | высота высотой | %length
thickness thick | толщина толщиной | %length
depth deep | глубина глубиной | %length
diameter dia | диаметр | %length
size dimension dimensions | размер размеры габарит габариты | %length
distance clearance gap spacing pitch | расстояние зазор шаг | %length
area | площадь | %area
volume | объем | %volume
pressure load | давление нагрузка | %pressure
temperature | температура | %temperature
weight mass | масса вес | %mass
resistance resistor | сопротивление резистор | %resistance
capacitance capacitor | емкость конденсатор | %capacitance
frequency | частота | %frequency
slope fall gradient | уклон | %slope
scale | масштаб | %scale
date when dated | дата когда | %date
drawn drew draw designed designer developed developer author | разраб разработал разработчик разработка выполнил
checked checker verified | пров проверил проверка
approved approver | утв утвердил утверждаю
sheet | лист
sheets | листов
title | наименование название
designation code | обозначение шифр
stage phase | стадия
format | формат
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
plan plans | план планы
section sections | разрез разрезы сечение
facade elevations | фасад фасады
detail details | узел узлы деталь
ridge | конек конька
rafter rafters | стропило стропила
joist joists | лага балка
truss trusses | ферма фермы
sheathing decking | обшивка настил
framing frame | каркас
parapet | парапет
railing railings guardrail handrail | ограждение перила поручень
gutter gutters | желоб водосток
downspout downpipe | водосточная
membrane waterproofing | мембрана гидроизоляция
vapor vapour | пароизоляция
screed | стяжка
tile tiles | плитка
gravel | гравий щебень
sand | песок
soil ground | грунт
pile piles | свая сваи
footing footings | подошва ростверк
basement | подвал
attic | чердак мансарда
terrace | терраса
balcony | балкон
porch | крыльцо веранда
ramp | пандус
elevator lift | лифт
shaft | шахта
opening openings | проем проемы
lintel | перемычка
partition partitions | перегородка перегородки
glazing glass | остекление стекло
frame | рама
sill | подоконник отлив
hatch access | люк
kitchen | кухня
bathroom bath | ванная санузел
toilet wc | унитаз туалет
sink basin lavatory | раковина умывальник мойка
shower | душ
bathtub tub | ванна
bedroom | спальня
living | гостиная
corridor hall hallway | коридор холл
storage closet | кладовая шкаф
entrance entry | вход
exit | выход
fireproof fireproofing | огнестойкость огнестойкий
smoke | дым дымоудаление
sprinkler | спринклер
hydrant | гидрант
alarm | сигнализация тревога авария
signal signalling indication | сигнализация сигнал индикация
lamp indicator | лампа индикатор
contactor | контактор пускатель
relay | реле
fuse | предохранитель
terminal terminals | клемма клеммы зажим
connector | разъем соединитель
socket outlet receptacle | розетка
motor | двигатель мотор
transformer | трансформатор
panel board | щит щиток панель
feeder | питающая фидер
phase | фаза
neutral | нейтраль ноль
cabinet enclosure | шкаф корпус
sensor | датчик
heater | нагреватель калорифер
damper | заслонка клапан
filter | фильтр
duct ducts | воздуховод
air | воздух воздуха
exhaust extract | вытяжка вытяжная
heat | тепло теплоснабжение
cold | холодная
hot | горячая
gas | газ газопровод
sewerage | канализация
storm | ливневая
meter | счетчик
transistor | транзистор
diode | диод
zener | стабилитрон
microcircuit chip ic | микросхема
inductor choke | дроссель катушка
crystal quartz | кварц
button | кнопка
led | светодиод
trace traces track conductor | проводник дорожка
pad pads | площадка
drill drilling | сверление отверстие
surface | поверхность
marking | маркировка
manufacture manufacturing method | изготовление изготовить метод
requirements requirement | требования требование
technical | технические
standard standards | гост стандарт
rigidity stiffness | жесткость
cover | покрытие крыша кровля
land plot parcel lot | участок земельный
site | участок
municipal district | муниципальное район
city | город
street | улица
contract agreement | договор
permit | разрешение
contractor | подрядчик генподрядчик
engineer | инженер
chief | главный
architect | архитектор
director | директор
designer | проектировщик
survey surveyor | изыскания геодезист
borehole well | скважина
north | север
south | юг южный
east | восток
west | запад
top | верх верхний
bottom | низ нижний
front | передний фасад
rear back | задний
inside interior | внутренний
outside exterior | наружный
existing | существующий
new proposed | новый проектируемый
demolition demolish | демонтаж снос
minimum min | минимальный мин
maximum max | максимальный макс
total overall | итого всего
number count | количество число номер
color colour | цвет
grade class | марка класс
strength | прочность
frost | морозостойкость
sound acoustic | звукоизоляция
"""


@lru_cache(maxsize=1)
def _entries() -> list[frozenset[str]]:
    """Each entry as the set of its words' terms (exact forms and stems, as ``terms`` makes them)."""
    found = []
    for line in ENTRIES.strip().splitlines():
        words = line.replace("|", " ").split()
        quantities = {word for word in words if word.startswith(QUANTITY_MARK)}
        found.append(frozenset(quantities | {term for word in words if word not in quantities
                                             for concept in query_concepts(word) for term in concept}))
    return found


def bilingual(concepts: Sequence[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """``concepts`` with each word's translations among its terms (codes and unknown words unchanged)."""
    entries = _entries()
    widened = []
    for concept in concepts:
        extra = [entry for entry in entries if entry.intersection(concept)]
        widened.append(tuple(dict.fromkeys([*concept, *sorted(term for entry in extra for term in entry)])))
    return widened
