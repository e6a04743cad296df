"""Mass priors: typical mass, material and size of everyday objects, matched by name.

`mass_prior("a small red rubber ball")` finds the closest table entry (case, articles, plurals,
colours and other adjectives, synonyms, "X of Y", spelling slips), or — when no entry matches —
estimates the mass from a material word and a size (density × fill × volume), or finally falls
back to a generic object with a warning. The result says where its numbers came from.

Sources (cited per group below): sports bodies' equipment rules (FIBA, IFAB, FIVB, ITF, ITTF,
BWF, R&A/USGA, MLB, NHL, WPA, USBC, World Athletics, ...); USDA FoodData Central reference
portions ("1 medium" etc.) for food; manufacturer data sheets of common models for electronics
and appliances; trade sizes (nominal weights) for tools and building materials. Entries without a
standard are marked "typical" — a representative mid-range product, good to a factor of ~1.5.
Densities, fill fractions (how much of an object's bounding volume is material) and material
spellings come from pavas_core.materials, the one material table, with their sources.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass, field

from ..materials import MATERIAL_NAMES, get_material, mass_from_size_kg, material_named


@dataclass(frozen=True)
class PriorEntry:
    name: str
    mass_kg: float
    material: str  # one of MATERIAL_NAMES (the sound it makes, roughly)
    size_m: float  # characteristic size: diameter or longest side
    aliases: tuple[str, ...] = ()
    empty_kg: float | None = None  # containers: mass when empty (the table value is as usually seen, full)
    scalable: bool = False  # generic shapes: mass follows (size/size_m)³ when a size is known


@dataclass(frozen=True)
class MassPrior:
    query: str
    mass_kg: float
    material: str
    size_m: float
    matched: str | None  # table entry name, or None
    source: str  # table | table_scaled | material_size | generic
    score: float  # 0..1, how well the name matched
    detail: str = ""
    warnings: tuple[str, ...] = field(default_factory=tuple)


def _e(name, mass_kg, material, size_m, *aliases, empty_kg=None, scalable=False) -> PriorEntry:
    return PriorEntry(name, mass_kg, material, size_m, tuple(aliases), empty_kg, scalable)


TABLE: tuple[PriorEntry, ...] = (
    # --- sports balls and equipment: governing bodies' rules (mid-range of the allowed mass) ---
    _e("basketball", 0.62, "rubber", 0.24, "basket ball", "nba ball"),  # FIBA size 7: 567–650 g
    _e("soccer ball", 0.43, "rubber", 0.22, "football", "soccerball", "futbol"),  # IFAB Law 2: 410–450 g
    _e("american football", 0.41, "rubber", 0.28, "nfl football", "gridiron ball"),  # NFL: 14–15 oz
    _e("rugby ball", 0.43, "rubber", 0.29),  # World Rugby Law 2: 410–460 g
    _e("volleyball", 0.27, "rubber", 0.21, "volley ball", "beach volleyball"),  # FIVB: 260–280 g
    _e("tennis ball", 0.058, "rubber", 0.067),  # ITF: 56.0–59.4 g
    _e("table tennis ball", 0.0027, "plastic", 0.04, "ping pong ball", "pingpong ball"),  # ITTF: 2.7 g
    _e("golf ball", 0.0459, "plastic", 0.0427),  # R&A/USGA: ≤ 45.93 g, ≥ 42.67 mm
    _e("baseball", 0.145, "fabric", 0.074),  # MLB Rule 3.01: 5–5.25 oz
    _e("softball", 0.19, "fabric", 0.097),  # WBSC 12-inch: 178–198 g
    _e("cricket ball", 0.16, "fabric", 0.072),  # MCC Law 4: 155.9–163 g
    _e("hockey puck", 0.165, "rubber", 0.076, "puck", "ice hockey puck"),  # NHL: 156–170 g
    _e("field hockey ball", 0.16, "plastic", 0.073),  # FIH: 156–163 g
    _e("squash ball", 0.024, "rubber", 0.04),  # WSF: 23–25 g
    _e("racquetball", 0.04, "rubber", 0.057),  # USA Racquetball: 40 g
    _e("shuttlecock", 0.0051, "fabric", 0.07, "badminton shuttle", "shuttle", "birdie"),  # BWF: 4.74–5.50 g
    _e("bowling ball", 6.4, "plastic", 0.218),  # USBC: ≤ 7.26 kg; 12–16 lb common
    _e("billiard ball", 0.165, "plastic", 0.057, "pool ball", "cue ball", "snooker ball", "eight ball"),  # WPA: 156–170 g
    _e("handball", 0.45, "rubber", 0.19),  # IHF men: 425–475 g
    _e("netball", 0.43, "rubber", 0.22),  # World Netball: 400–450 g
    _e("water polo ball", 0.42, "rubber", 0.22),  # World Aquatics: 400–450 g
    _e("lacrosse ball", 0.145, "rubber", 0.063),  # NCAA: 140–149 g
    _e("dodgeball", 0.3, "rubber", 0.21, "playground ball", "kickball"),  # typical 8.5" rubber ball
    _e("beach ball", 0.1, "plastic", 0.5),  # typical inflatable 50 cm
    _e("medicine ball", 4.0, "rubber", 0.3),  # typical 2–6 kg
    _e("exercise ball", 1.1, "rubber", 0.65, "yoga ball", "stability ball", "swiss ball", "gym ball"),  # typical 65 cm
    _e("bouncy ball", 0.025, "rubber", 0.035, "super ball", "superball", "bouncing ball"),  # typical 35 mm
    _e("marble", 0.005, "glass", 0.016),  # typical 16 mm glass marble
    _e("frisbee", 0.175, "plastic", 0.27, "flying disc"),  # WFDF ultimate disc: 175 g
    _e("shot put", 7.26, "steel", 0.12, "shot"),  # World Athletics men: 7.26 kg
    _e("discus", 2.0, "wood", 0.22),  # World Athletics men: 2 kg
    _e("javelin", 0.8, "aluminium", 2.7),  # World Athletics men: 800 g
    _e("kettlebell", 12.0, "steel", 0.22),  # typical 8–16 kg
    _e("dumbbell", 5.0, "steel", 0.3),  # typical home dumbbell 2–10 kg
    _e("barbell", 20.0, "steel", 2.2, "olympic bar"),  # IWF men's bar: 20 kg
    _e("weight plate", 10.0, "steel", 0.35, "plate weight"),  # typical 5–20 kg
    _e("skateboard", 3.5, "wood", 0.8),  # typical complete board
    _e("tennis racket", 0.3, "plastic", 0.68, "tennis racquet", "racket", "racquet"),  # typical 280–320 g strung
    _e("badminton racket", 0.085, "plastic", 0.67),  # typical 80–90 g
    _e("baseball bat", 0.9, "wood", 0.84, "bat"),  # typical 32–33 oz
    _e("cricket bat", 1.2, "wood", 0.96),  # typical 2 lb 8 oz – 2 lb 12 oz
    _e("golf club", 0.35, "steel", 1.1),  # driver ≈ 310 g, irons ≈ 430 g
    _e("hockey stick", 0.5, "wood", 1.5),  # typical ice-hockey stick 400–600 g
    _e("boxing glove", 0.34, "fabric", 0.3, "boxing gloves"),  # 12 oz
    _e("jump rope", 0.2, "plastic", 2.7, "skipping rope"),  # typical
    _e("yoga mat", 1.2, "rubber", 1.8),  # typical 4–6 mm mat
    _e("bicycle", 12.0, "aluminium", 1.7, "bike", "push bike"),  # typical adult bike 10–15 kg
    _e("helmet", 0.35, "plastic", 0.28, "bike helmet", "bicycle helmet"),  # CPSC-certified bike helmets ~250–400 g
    _e("motorcycle helmet", 1.5, "plastic", 0.32),  # typical 1.3–1.7 kg
    _e("surfboard", 3.5, "plastic", 1.9),  # typical 6'–7' shortboard/funboard
    _e("snowboard", 3.0, "wood", 1.55),  # typical
    _e("ski", 1.7, "wood", 1.7, "skis"),  # typical single ski
    _e("roller skate", 1.2, "plastic", 0.3, "inline skate", "rollerblade"),  # typical one skate
    _e("kick scooter", 4.0, "aluminium", 0.9, "scooter"),  # typical adult kick scooter
    _e("trophy", 1.0, "steel", 0.3),  # typical
    _e("bowling pin", 1.6, "wood", 0.38, "skittle"),  # USBC: 3 lb 6 oz – 3 lb 10 oz
    _e("pool cue", 0.55, "wood", 1.45, "cue stick", "cue", "billiard cue"),  # typical 18–21 oz
    _e("dart", 0.022, "steel", 0.15),  # typical steel-tip 18–26 g
    _e("dartboard", 5.0, "fabric", 0.45, "dart board"),  # bristle board ≈ 5 kg
    _e("baseball glove", 0.6, "fabric", 0.3, "baseball mitt", "mitt", "catchers mitt"),  # typical
    _e("football helmet", 2.0, "plastic", 0.3),  # typical
    _e("punching bag", 35.0, "fabric", 1.1, "heavy bag", "boxing bag"),  # typical 70–80 lb bag
    _e("hula hoop", 0.4, "plastic", 0.9),  # typical
    _e("pogo stick", 3.0, "steel", 1.2),  # typical
    _e("sled", 3.0, "plastic", 1.0, "sledge", "toboggan"),  # typical plastic sled
    _e("ice skate", 1.2, "steel", 0.3, "skate"),  # typical one skate
    _e("tent", 3.0, "fabric", 0.5),  # typical 2–3 person tent, packed
    _e("sleeping bag", 1.5, "fabric", 0.4),  # typical
    _e("cooler", 5.0, "plastic", 0.6, "ice chest", "cool box"),  # typical empty 45 qt
    _e("ball", 0.3, "rubber", 0.2, "sports ball"),  # typical: between a volleyball and a basketball
    # --- tools and hardware: trade sizes / typical products ---
    _e("hammer", 0.6, "steel", 0.33, "claw hammer", "carpenter hammer"),  # 16 oz head + handle
    _e("sledgehammer", 5.0, "steel", 0.9, "sledge hammer"),  # 10 lb head + handle
    _e("mallet", 0.5, "rubber", 0.35, "rubber mallet", "wooden mallet"),  # typical 16 oz
    _e("screwdriver", 0.1, "steel", 0.2),  # typical
    _e("wrench", 0.3, "steel", 0.2, "spanner", "adjustable wrench"),  # 8-inch adjustable
    _e("pipe wrench", 1.5, "steel", 0.35),  # 14-inch
    _e("pliers", 0.25, "steel", 0.2),  # typical 8-inch
    _e("saw", 0.55, "steel", 0.6, "hand saw", "handsaw"),  # typical 20-inch
    _e("chainsaw", 5.0, "plastic", 0.8, "chain saw"),  # typical gasoline 40 cc without fuel
    _e("axe", 1.8, "steel", 0.8, "ax", "felling axe"),  # 1.5–2.5 kg
    _e("hatchet", 0.7, "steel", 0.35),  # typical
    _e("drill", 1.6, "plastic", 0.25, "power drill", "cordless drill", "electric drill"),  # typical 18 V with battery
    _e("tape measure", 0.3, "plastic", 0.08, "measuring tape"),  # typical 25 ft
    _e("spirit level", 0.5, "aluminium", 0.6, "level"),  # typical 60 cm
    _e("shovel", 2.2, "steel", 1.2, "spade"),  # typical long-handle shovel
    _e("rake", 1.2, "steel", 1.5),  # typical
    _e("crowbar", 2.0, "steel", 0.75, "pry bar", "wrecking bar"),  # 30-inch
    _e("chisel", 0.2, "steel", 0.25),  # typical wood chisel
    _e("utility knife", 0.15, "steel", 0.15, "box cutter", "stanley knife"),  # typical
    _e("nail", 0.005, "steel", 0.075),  # 3-inch common nail
    _e("screw", 0.003, "steel", 0.04),  # typical wood screw
    _e("bolt", 0.03, "steel", 0.06),  # typical M8 × 60
    _e("nut and bolt", 0.04, "steel", 0.06),  # typical
    _e("padlock", 0.2, "steel", 0.07, "lock"),  # typical 40 mm brass/steel
    _e("toolbox", 4.0, "steel", 0.45, "tool box"),  # typical with some tools
    _e("wheelbarrow", 15.0, "steel", 1.4),  # typical
    _e("ladder", 7.0, "aluminium", 1.8, "step ladder", "stepladder"),  # typical 6 ft aluminium
    _e("paint can", 4.5, "steel", 0.19, "can of paint", "paint bucket", "bucket of paint", empty_kg=0.4),  # 1 US gal
    _e("paintbrush", 0.05, "wood", 0.25, "paint brush", "brush"),  # typical
    _e("rope", 0.5, "fabric", 10.0, "coil of rope"),  # typical 10 m
    _e("chain", 2.0, "steel", 2.0),  # typical 2 m of 6 mm chain
    _e("fire extinguisher", 4.5, "steel", 0.45, "extinguisher"),  # typical 2 kg ABC, total
    _e("traffic cone", 3.0, "plastic", 0.7, "cone", "safety cone"),  # typical 28-inch
    _e("tire", 10.0, "rubber", 0.65, "tyre", "car tire", "car tyre", "wheel"),  # typical passenger car tire
    _e("anvil", 50.0, "steel", 0.6),  # typical
    _e("horseshoe", 0.5, "steel", 0.13),  # typical
    _e("garden hose", 3.0, "rubber", 15.0, "hose"),  # typical 15 m
    _e("car battery", 18.0, "plastic", 0.3),  # typical 12 V lead-acid 15–23 kg
    _e("extension cord", 0.6, "rubber", 0.3, "extension cable", "extension lead", "power strip"),  # typical
    _e("lawn mower", 30.0, "steel", 1.0, "lawnmower", "mower"),  # typical push mower
    _e("leaf blower", 4.0, "plastic", 0.5),  # typical
    _e("trowel", 0.2, "steel", 0.3),  # typical garden trowel
    _e("pruning shears", 0.25, "steel", 0.2, "secateurs", "garden shears"),  # typical
    _e("garden gnome", 2.0, "ceramic", 0.3, "gnome"),  # typical resin/ceramic
    _e("bag of cement", 25.0, "fabric", 0.6, "cement bag", "sack of cement"),  # standard 25 kg bag
    _e("sandbag", 15.0, "fabric", 0.5, "bag of sand", "sand bag"),  # typical filled
    _e("bag of soil", 10.0, "plastic", 0.6, "potting soil", "bag of potting soil"),  # typical 20 l
    _e("watering can", 0.5, "plastic", 0.45, empty_kg=0.5),  # typical empty
    _e("flower pot", 0.8, "ceramic", 0.16, "plant pot", "terracotta pot", "pot plant"),  # typical 15 cm terracotta
    _e("potted plant", 2.5, "ceramic", 0.35, "house plant", "houseplant", "plant"),  # typical with soil
    # --- building materials: nominal sizes ---
    _e("brick", 2.5, "ceramic", 0.22, "red brick", "clay brick"),  # UK 215×102.5×65 mm: 2.3–3.0 kg
    _e("cinder block", 15.0, "stone", 0.4, "concrete block", "breeze block", "cinderblock", "cmu"),  # 8×8×16 in
    _e("paving stone", 3.5, "stone", 0.2, "paver", "cobblestone", "cobble"),  # typical 200×100×80 mm
    _e("tile", 0.6, "ceramic", 0.3, "floor tile", "ceramic tile"),  # typical 30 cm tile
    _e("plank", 3.0, "wood", 1.2, "board", "wooden board", "wooden plank"),  # typical pine
    _e("two by four", 4.0, "wood", 2.4, "2x4", "lumber"),  # 8 ft SPF stud
    _e("log", 3.0, "wood", 0.4, "firewood", "piece of firewood"),  # typical split log
    _e("pipe", 2.0, "steel", 1.0, "metal pipe", "steel pipe"),  # typical 1 m of ¾-inch steel pipe
    _e("rock", 1.0, "stone", 0.1, "stone"),  # fist-sized to 12 cm
    _e("pebble", 0.03, "stone", 0.03),  # typical 3 cm
    _e("boulder", 300.0, "stone", 0.6),  # typical
    # --- kitchenware: typical products ---
    _e("mug", 0.35, "ceramic", 0.1, "coffee mug", "tea mug", "cup of coffee", "coffee cup"),  # 11 oz stoneware 300–400 g
    _e("cup", 0.25, "ceramic", 0.09, "teacup", "tea cup", "cup of tea"),  # typical porcelain
    _e("paper cup", 0.01, "cardboard", 0.09, "disposable cup"),  # typical 12 oz
    _e("plastic cup", 0.01, "plastic", 0.09, "solo cup"),  # typical
    _e("glass", 0.25, "glass", 0.1, "drinking glass", "tumbler", "water glass", "glass of water"),  # 200–300 g
    _e("shot glass", 0.1, "glass", 0.06),  # typical 1.5 oz
    _e("wine glass", 0.17, "glass", 0.2, "stemware", "champagne glass", "champagne flute"),  # typical
    _e("beer glass", 0.45, "glass", 0.15, "pint glass", "beer mug"),  # shaker pint 400–500 g
    _e("plate", 0.55, "ceramic", 0.27, "dinner plate", "dish", "ceramic plate"),  # 10.5-inch stoneware
    _e("paper plate", 0.015, "cardboard", 0.23),  # typical
    _e("saucer", 0.15, "ceramic", 0.15),  # typical
    _e("bowl", 0.35, "ceramic", 0.15, "cereal bowl", "soup bowl", "ceramic bowl"),  # typical 300–450 g
    _e("salad bowl", 0.9, "glass", 0.25, "serving bowl"),  # typical
    _e("mixing bowl", 0.6, "steel", 0.26),  # typical stainless 3 qt
    _e("frying pan", 1.4, "aluminium", 0.28, "pan", "fry pan", "nonstick pan", "non stick pan"),  # typical 10–11 in
    _e("cast iron skillet", 2.7, "steel", 0.3, "skillet", "cast iron pan"),  # Lodge 10.25 in: 2.3 kg, 12 in: 3.5 kg
    _e("saucepan", 1.2, "steel", 0.2, "sauce pan"),  # typical 2 qt stainless
    _e("pot", 2.0, "steel", 0.26, "cooking pot", "stock pot", "stockpot", "soup pot"),  # typical 6 qt
    _e("dutch oven", 5.5, "steel", 0.3, "casserole dish"),  # Le Creuset 5.5 qt: 5.2 kg
    _e("wok", 1.5, "steel", 0.35),  # typical carbon steel 14 in
    _e("kettle", 1.2, "steel", 0.22, "electric kettle", "tea kettle", empty_kg=1.2),  # typical empty
    _e("teapot", 0.7, "ceramic", 0.2, "tea pot"),  # typical empty ceramic
    _e("spoon", 0.04, "steel", 0.18, "tablespoon"),  # typical stainless tablespoon
    _e("teaspoon", 0.02, "steel", 0.14),  # typical
    _e("fork", 0.04, "steel", 0.19),  # typical
    _e("knife", 0.08, "steel", 0.23, "table knife", "butter knife"),  # typical
    _e("kitchen knife", 0.2, "steel", 0.33, "chef knife", "chefs knife", "chef's knife", "cleaver"),  # typical 8 in
    _e("chopsticks", 0.02, "wood", 0.23, "chopstick"),  # typical pair
    _e("spatula", 0.08, "plastic", 0.3, "turner"),  # typical
    _e("ladle", 0.15, "steel", 0.3),  # typical
    _e("whisk", 0.1, "steel", 0.28),  # typical
    _e("tongs", 0.15, "steel", 0.3),  # typical
    _e("cutting board", 1.2, "wood", 0.4, "chopping board"),  # typical 12×16 in wood
    _e("rolling pin", 0.5, "wood", 0.45),  # typical
    _e("colander", 0.4, "steel", 0.28, "strainer"),  # typical
    _e("baking sheet", 0.6, "aluminium", 0.45, "baking tray", "sheet pan", "tray", "oven tray"),  # typical half sheet
    _e("measuring cup", 0.15, "glass", 0.1),  # typical
    _e("jar", 0.35, "glass", 0.12, "mason jar", "glass jar", "jam jar", empty_kg=0.25),  # typical 16 oz empty
    _e("bottle", 0.5, "plastic", 0.22, empty_kg=0.03),  # typical 500 ml drink, full
    _e("water bottle", 0.52, "plastic", 0.22, "bottle of water", "plastic bottle", empty_kg=0.02),  # 500 ml PET full
    _e("reusable water bottle", 0.35, "steel", 0.26, "steel bottle", "thermos", "flask", "metal water bottle"),  # typical empty
    _e("wine bottle", 1.25, "glass", 0.3, "bottle of wine", "glass bottle", empty_kg=0.5),  # 750 ml full
    _e("beer bottle", 0.55, "glass", 0.23, "bottle of beer", empty_kg=0.2),  # 355 ml full
    _e("soda bottle", 2.1, "plastic", 0.33, "bottle of soda", "soda pop bottle", empty_kg=0.05),  # 2 l full
    _e("soda can", 0.37, "aluminium", 0.12, "can of soda", "beer can", "can of beer", "drink can", "can",
       "aluminium can", "aluminum can", "tin can", empty_kg=0.015),  # 355 ml full; empty 13–15 g
    _e("food can", 0.45, "steel", 0.11, "can of food", "can of soup", "soup can", "canned food", empty_kg=0.06),  # 15 oz
    _e("milk carton", 1.05, "cardboard", 0.2, "carton of milk", "juice carton", "carton", empty_kg=0.03),  # 1 l full
    _e("milk jug", 4.0, "plastic", 0.27, "gallon of milk", "jug", empty_kg=0.06),  # 1 US gal full
    _e("juice box", 0.22, "cardboard", 0.1),  # 200 ml
    _e("cereal box", 0.5, "cardboard", 0.3, "box of cereal"),  # typical full
    _e("egg carton", 0.75, "cardboard", 0.3, "carton of eggs", "dozen eggs"),  # dozen large eggs
    _e("bag of flour", 2.27, "fabric", 0.3, "flour bag", "flour", "sack of flour"),  # 5 lb bag
    _e("bag of sugar", 1.0, "fabric", 0.2, "sugar bag", "sugar"),  # 1 kg bag
    _e("bag of rice", 2.0, "fabric", 0.3, "rice bag"),  # typical
    _e("bag of chips", 0.2, "plastic", 0.3, "chips bag", "crisps", "bag of crisps"),  # typical family size
    _e("lid", 0.5, "glass", 0.26, "pot lid", "pan lid"),  # typical tempered-glass lid
    _e("can opener", 0.15, "steel", 0.18, "tin opener"),  # typical
    _e("bottle opener", 0.03, "steel", 0.1),  # typical
    _e("corkscrew", 0.1, "steel", 0.12),  # typical
    _e("peeler", 0.05, "steel", 0.18, "potato peeler", "vegetable peeler"),  # typical
    _e("grater", 0.2, "steel", 0.24, "cheese grater"),  # typical box grater
    _e("pizza cutter", 0.1, "steel", 0.2),  # typical
    _e("salt shaker", 0.1, "glass", 0.08, "pepper shaker", "salt cellar"),  # typical filled
    _e("pepper grinder", 0.25, "wood", 0.2, "pepper mill", "salt grinder"),  # typical
    _e("spice jar", 0.1, "glass", 0.1),  # typical filled
    _e("kitchen scale", 0.5, "plastic", 0.2, "scale", "scales", "bathroom scale"),  # typical digital
    _e("oven mitt", 0.1, "fabric", 0.3, "oven glove", "pot holder"),  # typical
    _e("sponge", 0.01, "rubber", 0.1, "kitchen sponge"),  # typical
    _e("dish soap", 0.5, "plastic", 0.22, "dish soap bottle", "washing up liquid"),  # typical 450 ml
    _e("paper towel", 0.2, "cardboard", 0.28, "paper towels", "roll of paper towels", "kitchen roll"),  # one roll
    _e("aluminium foil", 0.3, "aluminium", 0.3, "aluminum foil", "tin foil", "roll of foil"),  # typical roll in box
    _e("food container", 0.15, "plastic", 0.18, "tupperware", "lunch box", "lunchbox", "plastic container"),  # empty
    _e("pressure cooker", 4.0, "steel", 0.35, "instant pot", "multicooker"),  # typical 6 qt
    _e("slow cooker", 5.0, "ceramic", 0.4, "crock pot", "crockpot"),  # typical 6 qt
    _e("stand mixer", 10.0, "steel", 0.4, "kitchenaid", "kitchen mixer"),  # KitchenAid Artisan: 10.9 kg
    _e("hand mixer", 1.0, "plastic", 0.25, "mixer", "electric mixer"),  # typical
    _e("air fryer", 5.0, "plastic", 0.35),  # typical 4–6 qt
    _e("food processor", 4.0, "plastic", 0.4),  # typical
    _e("rice cooker", 2.5, "plastic", 0.3),  # typical 5–6 cup
    _e("laundry detergent", 2.5, "plastic", 0.3, "detergent", "detergent bottle"),  # typical 2 l bottle
    _e("toaster", 1.5, "steel", 0.3),  # typical 2-slice
    _e("microwave", 12.0, "steel", 0.5, "microwave oven"),  # typical 0.9–1.2 cu ft
    _e("blender", 2.5, "plastic", 0.4),  # typical countertop
    _e("coffee maker", 2.5, "plastic", 0.35, "coffee machine", "espresso machine"),  # typical drip
    _e("refrigerator", 75.0, "steel", 1.7, "fridge"),  # typical 18 cu ft
    _e("washing machine", 70.0, "steel", 0.85, "washer"),  # typical front loader
    _e("dishwasher", 45.0, "steel", 0.85),  # typical
    # --- food: USDA FoodData Central reference portions ---
    _e("apple", 0.18, "rubber", 0.08),  # 1 medium: 182 g
    _e("orange", 0.14, "rubber", 0.075),  # 1 medium: 131–140 g
    _e("banana", 0.12, "rubber", 0.19),  # 1 medium: 118 g
    _e("lemon", 0.1, "rubber", 0.07),  # 1 medium: 84–108 g
    _e("lime", 0.067, "rubber", 0.05),  # 1 medium: 67 g
    _e("grapefruit", 0.25, "rubber", 0.1),  # 1 medium: ≈ 246 g
    _e("peach", 0.15, "rubber", 0.07),  # 1 medium: 150 g
    _e("pear", 0.18, "rubber", 0.1),  # 1 medium: 178 g
    _e("plum", 0.066, "rubber", 0.05),  # 1 medium: 66 g
    _e("apricot", 0.035, "rubber", 0.04),  # 1: 35 g
    _e("nectarine", 0.14, "rubber", 0.07),  # 1 medium: 142 g
    _e("tangerine", 0.09, "rubber", 0.06, "mandarin", "clementine", "satsuma"),  # 1 medium: 88 g
    _e("cherry", 0.008, "rubber", 0.022),  # 1: 8 g
    _e("strawberry", 0.012, "rubber", 0.03),  # 1 medium: 12 g
    _e("grape", 0.005, "rubber", 0.02),  # 1: 5 g
    _e("kiwi", 0.075, "rubber", 0.06, "kiwifruit", "kiwi fruit"),  # 1: 69–75 g
    _e("mango", 0.3, "rubber", 0.12),  # 1 whole with skin and seed ≈ 300–340 g
    _e("pineapple", 1.6, "rubber", 0.3),  # 1 whole ≈ 1.5–2 kg
    _e("watermelon", 5.0, "rubber", 0.3, "water melon"),  # whole ≈ 3–7 kg
    _e("melon", 1.4, "rubber", 0.16, "cantaloupe", "honeydew"),  # 1 medium cantaloupe ≈ 1.2–1.6 kg
    _e("coconut", 0.6, "wood", 0.13),  # mature dehusked 400–700 g
    _e("avocado", 0.2, "rubber", 0.1),  # 1: 201 g
    _e("pomegranate", 0.28, "rubber", 0.09),  # 1: 282 g
    _e("papaya", 0.5, "rubber", 0.2),  # 1 small: 157 g edible, whole ≈ 0.5 kg
    _e("fig", 0.05, "rubber", 0.05),  # 1 medium: 50 g
    _e("potato", 0.2, "rubber", 0.1),  # 1 medium: 213 g
    _e("sweet potato", 0.13, "rubber", 0.13),  # 1 medium: 130 g
    _e("onion", 0.15, "rubber", 0.07),  # 1 medium: 110–150 g
    _e("garlic", 0.05, "rubber", 0.05, "garlic bulb"),  # 1 bulb ≈ 40–60 g
    _e("carrot", 0.06, "rubber", 0.18),  # 1 medium: 61 g
    _e("tomato", 0.12, "rubber", 0.065),  # 1 medium: 123 g
    _e("cucumber", 0.3, "rubber", 0.2),  # 1 large (8¼ in): 301 g
    _e("zucchini", 0.2, "rubber", 0.2, "courgette"),  # 1 medium: 196 g
    _e("eggplant", 0.46, "rubber", 0.22, "aubergine"),  # 1: 458 g
    _e("bell pepper", 0.12, "rubber", 0.09, "pepper", "capsicum"),  # 1 medium: 119 g
    _e("lettuce", 0.6, "fabric", 0.2, "head of lettuce"),  # 1 head iceberg: 539–755 g
    _e("cabbage", 0.9, "rubber", 0.18, "head of cabbage"),  # 1 medium: 908 g
    _e("broccoli", 0.5, "rubber", 0.18),  # 1 bunch ≈ 608 g; 1 stalk 151 g
    _e("cauliflower", 0.6, "rubber", 0.16),  # 1 medium head: 588 g
    _e("pumpkin", 4.0, "rubber", 0.3),  # typical carving pumpkin 3–8 kg
    _e("corn", 0.2, "rubber", 0.2, "ear of corn", "corn cob", "corncob"),  # 1 ear with husk ≈ 200 g
    _e("mushroom", 0.02, "rubber", 0.04),  # 1 medium: 18 g
    _e("egg", 0.06, "ceramic", 0.055, "chicken egg"),  # 1 large, in shell: 57–63 g
    _e("bread", 0.5, "fabric", 0.28, "loaf", "loaf of bread"),  # 1 loaf sliced: ≈ 450–680 g
    _e("baguette", 0.25, "fabric", 0.65),  # French standard: 250 g
    _e("bagel", 0.1, "fabric", 0.1),  # 1 medium: 99–105 g
    _e("donut", 0.06, "fabric", 0.09, "doughnut"),  # 1 medium: 60 g
    _e("cookie", 0.015, "fabric", 0.07, "biscuit"),  # 1 medium: 10–16 g
    _e("muffin", 0.11, "fabric", 0.07, "cupcake"),  # 1 medium: 113 g
    _e("croissant", 0.06, "fabric", 0.15),  # 1 medium: 57 g
    _e("sandwich", 0.25, "fabric", 0.13),  # typical
    _e("hamburger", 0.22, "fabric", 0.11, "burger", "cheeseburger"),  # typical fast-food burger
    _e("pizza", 0.9, "fabric", 0.35),  # whole 14-inch
    _e("cake", 1.0, "fabric", 0.22),  # typical 8-inch round layer cake
    _e("cheese", 0.5, "fabric", 0.12, "block of cheese", "wheel of cheese"),  # typical block
    _e("chocolate bar", 0.05, "fabric", 0.14, "candy bar"),  # typical 45–55 g
    _e("steak", 0.3, "fabric", 0.2),  # typical
    _e("fish", 1.0, "fabric", 0.4),  # typical whole fish for cooking
    _e("walnut", 0.012, "wood", 0.035),  # 1 in shell ≈ 12 g
    _e("peanut", 0.001, "wood", 0.02),  # 1 kernel ≈ 0.5–1 g
    # --- electronics: data sheets of common models ---
    _e("smartphone", 0.18, "glass", 0.15, "phone", "cell phone", "cellphone", "mobile phone", "mobile", "iphone",
       "android phone", "telephone"),  # iPhone 15: 171 g; Galaxy S24: 167 g
    _e("tablet", 0.48, "glass", 0.25, "ipad", "tablet computer"),  # iPad (10th gen): 477 g
    _e("laptop", 1.7, "aluminium", 0.33, "notebook computer", "macbook", "laptop computer", "chromebook"),  # 1.2–2.2 kg
    _e("e-reader", 0.18, "plastic", 0.16, "kindle", "ebook reader", "e reader"),  # Kindle Paperwhite: 205 g
    _e("smartwatch", 0.04, "glass", 0.045, "apple watch", "smart watch"),  # Apple Watch: 32–52 g
    _e("watch", 0.1, "steel", 0.04, "wristwatch", "wrist watch"),  # typical steel watch
    _e("keyboard", 0.7, "plastic", 0.44, "computer keyboard"),  # typical full-size
    _e("computer mouse", 0.1, "plastic", 0.11, "mouse"),  # typical
    _e("monitor", 4.5, "plastic", 0.55, "computer monitor", "computer screen", "screen", "display"),  # 24-inch
    _e("television", 12.0, "plastic", 1.1, "tv", "tv set", "television set", "flat screen tv"),  # 43–55 inch LED
    _e("desktop computer", 9.0, "steel", 0.45, "computer", "pc", "computer tower", "pc tower"),  # typical tower
    _e("printer", 6.0, "plastic", 0.45),  # typical inkjet all-in-one
    _e("remote control", 0.15, "plastic", 0.18, "remote", "tv remote"),  # with batteries
    _e("game controller", 0.27, "plastic", 0.15, "controller", "gamepad", "joystick"),  # Xbox / DualSense ≈ 280 g
    _e("game console", 3.5, "plastic", 0.35, "console", "playstation", "xbox", "ps5"),  # PS5 4.5 kg; Switch 0.4 kg
    _e("headphones", 0.25, "plastic", 0.2, "headphone", "headset"),  # typical over-ear
    _e("earbuds", 0.05, "plastic", 0.06, "earphones", "airpods"),  # AirPods Pro with case: 56 g
    _e("speaker", 0.6, "plastic", 0.18, "bluetooth speaker", "portable speaker"),  # JBL Flip: 550 g
    _e("loudspeaker", 6.0, "wood", 0.4, "stereo speaker", "bookshelf speaker"),  # typical
    _e("camera", 0.7, "plastic", 0.13, "dslr", "digital camera", "mirrorless camera"),  # body + kit lens
    _e("microphone", 0.3, "steel", 0.16, "mic"),  # Shure SM58: 298 g
    _e("flashlight", 0.2, "aluminium", 0.16, "torch"),  # typical
    _e("battery", 0.023, "steel", 0.05, "aa battery", "batteries"),  # AA alkaline: 23 g
    _e("power bank", 0.2, "plastic", 0.14, "powerbank"),  # typical 10,000 mAh
    _e("ream of paper", 2.5, "cardboard", 0.3, "paper ream", "ream"),  # 500 sheets A4 80 g/m²
    _e("binder", 0.4, "cardboard", 0.3, "ring binder", "folder"),  # typical
    _e("tape dispenser", 0.5, "plastic", 0.15),  # typical weighted desk dispenser
    _e("hole punch", 0.3, "steel", 0.14, "paper punch"),  # typical 2-hole
    _e("projector", 2.5, "plastic", 0.3),  # typical home projector
    _e("scanner", 3.0, "plastic", 0.45),  # typical flatbed
    _e("charger", 0.08, "plastic", 0.06, "phone charger", "usb charger", "power adapter"),  # typical
    _e("laptop charger", 0.35, "plastic", 0.15, "power brick"),  # typical 65 W with cable
    _e("cable", 0.05, "rubber", 1.0, "usb cable", "charging cable", "cord"),  # typical 1 m
    _e("smart speaker", 0.5, "plastic", 0.12, "echo dot", "amazon echo", "google home"),  # Echo Dot 304 g
    _e("vr headset", 0.5, "plastic", 0.2, "virtual reality headset", "oculus"),  # Quest 3: 515 g
    _e("smoke detector", 0.2, "plastic", 0.13, "smoke alarm"),  # typical
    _e("webcam", 0.15, "plastic", 0.1),  # typical
    _e("hair straightener", 0.4, "plastic", 0.3, "flat iron"),  # typical
    _e("nail clippers", 0.02, "steel", 0.06, "nail clipper"),  # typical
    _e("tweezers", 0.01, "steel", 0.09),  # typical
    _e("calculator", 0.1, "plastic", 0.15),  # typical
    _e("hard drive", 0.3, "aluminium", 0.12, "external hard drive", "hdd"),  # 3.5-inch 0.4–0.7 kg; portable 0.2
    _e("usb stick", 0.01, "plastic", 0.05, "flash drive", "usb drive", "thumb drive"),  # typical
    _e("router", 0.4, "plastic", 0.2, "wifi router"),  # typical
    _e("radio", 1.0, "plastic", 0.25),  # typical portable
    _e("alarm clock", 0.3, "plastic", 0.12),  # typical
    _e("hair dryer", 0.6, "plastic", 0.25, "hairdryer", "blow dryer"),  # typical
    _e("iron", 1.3, "steel", 0.27, "clothes iron", "steam iron"),  # typical steam iron
    _e("vacuum cleaner", 5.0, "plastic", 1.0, "vacuum", "hoover"),  # typical upright/canister
    _e("light bulb", 0.04, "glass", 0.11, "bulb", "lightbulb"),  # A19: 30–60 g
    _e("desk lamp", 1.5, "steel", 0.45, "lamp", "table lamp"),  # typical
    _e("floor lamp", 5.0, "steel", 1.6),  # typical
    _e("fan", 2.5, "plastic", 0.4, "desk fan", "electric fan"),  # typical 12-inch desk fan
    _e("drone", 0.6, "plastic", 0.3, "quadcopter"),  # DJI Mini 249 g; Mavic 3: 895 g
    # --- furniture and household: typical products ---
    _e("chair", 5.0, "wood", 0.9, "dining chair", "wooden chair", "kitchen chair"),  # 4–7 kg
    _e("office chair", 14.0, "plastic", 1.1, "desk chair", "swivel chair"),  # typical
    _e("folding chair", 3.5, "steel", 0.8),  # typical
    _e("stool", 3.0, "wood", 0.6),  # typical
    _e("bar stool", 7.0, "steel", 0.75, "barstool"),  # typical
    _e("table", 25.0, "wood", 1.5, "dining table", "kitchen table"),  # typical
    _e("coffee table", 15.0, "wood", 1.1),  # typical
    _e("desk", 30.0, "wood", 1.3, "writing desk", "computer desk"),  # typical
    _e("nightstand", 12.0, "wood", 0.55, "bedside table", "night stand"),  # typical
    _e("sofa", 45.0, "fabric", 2.0, "couch", "settee"),  # typical 3-seat
    _e("armchair", 25.0, "fabric", 0.9, "arm chair", "recliner"),  # typical
    _e("bed", 50.0, "wood", 2.0, "bed frame"),  # typical frame
    _e("mattress", 25.0, "fabric", 1.9),  # typical queen foam
    _e("bookshelf", 30.0, "wood", 1.8, "bookcase", "book shelf", "shelf", "shelves"),  # typical
    _e("cabinet", 30.0, "wood", 1.0, "cupboard"),  # typical
    _e("dresser", 45.0, "wood", 1.2, "chest of drawers"),  # typical
    _e("wardrobe", 60.0, "wood", 1.9, "closet"),  # typical
    _e("pillow", 0.7, "fabric", 0.6, "bed pillow"),  # standard pillow 500–900 g
    _e("cushion", 0.45, "fabric", 0.4, "throw pillow", "sofa cushion"),  # typical
    _e("blanket", 1.5, "fabric", 1.8, "duvet", "comforter", "quilt"),  # typical
    _e("towel", 0.55, "fabric", 1.3, "bath towel"),  # typical 500–700 g
    _e("rug", 5.0, "fabric", 1.8, "carpet", "mat"),  # typical 4×6 ft
    _e("doormat", 1.5, "rubber", 0.75, "door mat"),  # typical coir/rubber
    _e("mirror", 3.0, "glass", 0.6),  # typical wall mirror
    _e("picture frame", 0.5, "wood", 0.3, "photo frame", "frame"),  # typical 8×10 in
    _e("painting", 1.5, "wood", 0.6, "canvas"),  # typical framed
    _e("vase", 1.0, "ceramic", 0.25, "flower vase"),  # typical
    _e("candle", 0.3, "plastic", 0.1, "pillar candle"),  # typical
    _e("wall clock", 0.7, "plastic", 0.3, "clock"),  # typical
    _e("trash can", 3.0, "plastic", 0.6, "garbage can", "bin", "dustbin", "wastebasket", "trash bin",
       "rubbish bin"),  # typical kitchen bin
    _e("bucket", 0.5, "plastic", 0.3, "pail", empty_kg=0.5),  # typical 10 l, empty
    _e("bucket of water", 10.0, "plastic", 0.3, "water bucket"),  # 10 l full
    _e("basket", 0.5, "wood", 0.4, "wicker basket"),  # typical
    _e("laundry basket", 1.0, "plastic", 0.6),  # typical empty
    _e("box", 0.5, "cardboard", 0.4, "cardboard box", "carton box", "moving box"),  # medium box, empty
    _e("shoebox", 0.25, "cardboard", 0.33, "shoe box"),  # empty
    _e("package", 2.0, "cardboard", 0.35, "parcel"),  # typical shipped parcel
    _e("pizza box", 0.2, "cardboard", 0.36),  # empty
    _e("crate", 3.0, "wood", 0.5, "wooden crate", "wooden box"),  # typical
    _e("barrel", 15.0, "steel", 0.6, "drum barrel", "oil drum"),  # typical empty 200 l steel ~ 18 kg
    _e("propane tank", 17.0, "steel", 0.45, "gas cylinder", "gas bottle"),  # 20 lb tank, full
    _e("broom", 0.6, "wood", 1.4),  # typical
    _e("mop", 0.7, "wood", 1.4),  # typical
    _e("ironing board", 5.0, "steel", 1.3),  # typical
    _e("clothes hanger", 0.05, "plastic", 0.42, "hanger", "coat hanger"),  # typical
    _e("toilet paper", 0.12, "cardboard", 0.11, "toilet roll", "roll of toilet paper", "toilet paper roll"),  # typical roll
    _e("tissue box", 0.2, "cardboard", 0.24, "box of tissues"),  # typical
    _e("book", 0.5, "cardboard", 0.23),  # typical 300-page
    _e("hardcover book", 0.8, "cardboard", 0.24, "hardback", "hardcover", "hardback book"),  # typical
    _e("paperback", 0.25, "cardboard", 0.18, "paperback book", "novel"),  # typical
    _e("textbook", 1.5, "cardboard", 0.28, "dictionary", "encyclopedia"),  # typical
    _e("notebook", 0.2, "cardboard", 0.25, "exercise book", "notepad", "journal", "diary"),  # typical A5
    _e("magazine", 0.2, "cardboard", 0.28),  # typical
    _e("newspaper", 0.25, "cardboard", 0.35),  # typical daily
    _e("sheet of paper", 0.005, "cardboard", 0.3, "paper", "piece of paper", "a4 paper"),  # A4 80 g/m²: 5 g
    _e("envelope", 0.006, "cardboard", 0.22),  # typical with letter
    _e("pen", 0.012, "plastic", 0.14, "ballpoint pen", "biro"),  # typical
    _e("pencil", 0.006, "wood", 0.19),  # typical HB
    _e("marker", 0.015, "plastic", 0.13, "felt tip pen", "sharpie", "highlighter"),  # typical
    _e("crayon", 0.005, "plastic", 0.09),  # typical
    _e("eraser", 0.02, "rubber", 0.05, "rubber eraser"),  # typical
    _e("ruler", 0.03, "plastic", 0.3),  # typical 30 cm
    _e("scissors", 0.1, "steel", 0.2, "pair of scissors"),  # typical
    _e("stapler", 0.25, "steel", 0.16),  # typical desktop
    _e("tape", 0.1, "plastic", 0.1, "roll of tape", "duct tape", "scotch tape"),  # typical roll
    _e("glue stick", 0.03, "plastic", 0.1),  # typical
    _e("paper clip", 0.001, "steel", 0.03, "paperclip"),  # typical
    _e("backpack", 1.0, "fabric", 0.45, "rucksack", "school bag", "schoolbag", "knapsack", "bag"),  # empty 0.5–1.2 kg
    _e("handbag", 0.7, "fabric", 0.3, "purse"),  # typical empty
    _e("suitcase", 4.0, "plastic", 0.7, "luggage", "trolley bag", "carry on"),  # typical empty carry-on/medium
    _e("plastic bag", 0.01, "plastic", 0.4, "carrier bag"),  # typical
    _e("paper bag", 0.05, "cardboard", 0.3),  # typical
    _e("grocery bag", 4.0, "plastic", 0.4, "shopping bag", "bag of groceries"),  # typical full
    _e("wallet", 0.1, "fabric", 0.11),  # typical leather
    _e("coin", 0.006, "steel", 0.024),  # US quarter 5.67 g; €1 7.5 g
    _e("credit card", 0.005, "plastic", 0.086, "card", "bank card"),  # ISO/IEC 7810 ID-1: ≈ 5 g
    _e("key", 0.006, "steel", 0.06, "house key"),  # typical
    _e("keys", 0.05, "steel", 0.08, "keychain", "bunch of keys", "key ring", "keyring"),  # typical bunch
    _e("eyeglasses", 0.03, "plastic", 0.14, "glasses", "spectacles", "sunglasses", "pair of glasses",
       "reading glasses", "pair of sunglasses"),  # 25–40 g
    _e("umbrella", 0.45, "fabric", 0.9),  # typical
    _e("shoe", 0.35, "rubber", 0.29, "sneaker", "trainer", "running shoe"),  # one shoe 300–400 g
    _e("boot", 0.8, "rubber", 0.3, "hiking boot", "work boot"),  # one boot
    _e("pair of shoes", 0.7, "rubber", 0.29, "shoes pair"),  # two shoes
    _e("pair of boots", 1.6, "rubber", 0.3),  # two boots
    _e("sandal", 0.25, "rubber", 0.27, "flip flop", "flip-flop", "slipper"),  # typical one
    _e("high heel", 0.3, "plastic", 0.25, "high heels", "heel"),  # typical one
    _e("hat", 0.1, "fabric", 0.3, "cap", "baseball cap", "beanie"),  # typical
    _e("t-shirt", 0.15, "fabric", 0.7, "tshirt", "t shirt", "tee shirt"),  # typical adult M
    _e("shirt", 0.2, "fabric", 0.75, "blouse"),  # typical
    _e("sweater", 0.5, "fabric", 0.7, "jumper", "hoodie", "sweatshirt"),  # typical
    _e("jeans", 0.6, "fabric", 1.0, "pair of jeans", "trousers", "pants"),  # typical
    _e("jacket", 1.0, "fabric", 0.75),  # typical
    _e("coat", 1.5, "fabric", 1.0, "winter coat", "overcoat"),  # typical
    _e("dress", 0.3, "fabric", 1.0),  # typical
    _e("sock", 0.04, "fabric", 0.25, "socks"),  # typical one
    _e("glove", 0.06, "fabric", 0.25, "gloves", "mitten"),  # typical one
    _e("scarf", 0.15, "fabric", 1.5),  # typical
    _e("belt", 0.2, "fabric", 1.1),  # typical leather
    _e("necktie", 0.05, "fabric", 1.4, "tie"),  # typical
    _e("toothbrush", 0.02, "plastic", 0.19),  # typical manual
    _e("electric toothbrush", 0.13, "plastic", 0.24),  # typical
    _e("toothpaste", 0.15, "plastic", 0.18, "tube of toothpaste", "toothpaste tube"),  # 100 ml tube
    _e("soap", 0.12, "plastic", 0.09, "bar of soap", "soap bar"),  # typical bar
    _e("shampoo", 0.45, "plastic", 0.2, "shampoo bottle", "bottle of shampoo"),  # typical 400 ml
    _e("hairbrush", 0.1, "plastic", 0.23, "hair brush"),  # typical
    _e("comb", 0.02, "plastic", 0.18),  # typical
    _e("razor", 0.03, "plastic", 0.15),  # typical disposable/cartridge
    _e("perfume", 0.3, "glass", 0.12, "perfume bottle", "cologne"),  # typical 100 ml bottle
    _e("lipstick", 0.02, "plastic", 0.08),  # typical
    _e("teddy bear", 0.3, "fabric", 0.3, "stuffed animal", "plush toy", "plushie", "soft toy", "stuffed toy"),  # typical
    _e("doll", 0.3, "plastic", 0.3, "barbie"),  # typical
    _e("action figure", 0.1, "plastic", 0.15, "figurine"),  # typical
    _e("toy car", 0.05, "steel", 0.075, "matchbox car", "hot wheels", "die cast car"),  # 1:64 die-cast
    _e("lego brick", 0.0025, "plastic", 0.032, "lego", "lego block"),  # 2×4 brick: 2.3 g
    _e("toy block", 0.03, "wood", 0.04, "building block", "block"),  # typical 4 cm
    _e("rubiks cube", 0.09, "plastic", 0.057, "rubik's cube", "rubik cube", "puzzle cube"),  # 80–100 g
    _e("rubber duck", 0.03, "rubber", 0.09, "rubber ducky", "bath duck"),  # typical
    _e("ice cube", 0.02, "glass", 0.03, "ice"),  # typical 3 cm cube
    _e("yo-yo", 0.05, "plastic", 0.06, "yoyo"),  # typical
    _e("kite", 0.2, "fabric", 1.0),  # typical
    _e("balloon", 0.005, "rubber", 0.3),  # 12-inch latex, inflated
    _e("dice", 0.004, "plastic", 0.016, "die"),  # standard 16 mm
    _e("deck of cards", 0.095, "cardboard", 0.09, "playing cards", "cards"),  # standard deck ≈ 94 g
    _e("chess piece", 0.03, "wood", 0.08, "chess pawn", "pawn"),  # typical
    _e("chessboard", 0.7, "wood", 0.45, "chess board", "board game"),  # typical
    _e("matchbox", 0.01, "cardboard", 0.05, "box of matches"),  # typical
    _e("lighter", 0.02, "plastic", 0.08),  # typical disposable
    _e("guitar", 2.8, "wood", 1.0, "acoustic guitar", "electric guitar"),  # acoustic 2–2.5 kg, electric 3.5–4.5
    _e("violin", 0.45, "wood", 0.6, "fiddle"),  # typical 4/4
    _e("ukulele", 0.5, "wood", 0.53),  # typical soprano/concert
    _e("piano", 250.0, "wood", 1.5, "upright piano"),  # typical upright 200–300 kg
    _e("drum", 4.0, "wood", 0.36, "snare drum", "snare"),  # typical 14-inch snare
    _e("trumpet", 1.1, "steel", 0.5),  # typical
    _e("flute", 0.4, "steel", 0.67),  # typical
    _e("saxophone", 2.5, "steel", 0.7, "sax"),  # typical alto
    _e("cello", 3.0, "wood", 1.2),  # typical full size
    _e("harmonica", 0.08, "steel", 0.1),  # typical diatonic
    _e("tambourine", 0.4, "wood", 0.25),  # typical
    _e("drum kit", 30.0, "wood", 1.5, "drum set"),  # typical 5-piece shell pack with hardware
    _e("drumstick", 0.05, "wood", 0.4, "drum stick", "drumsticks"),  # 5A: ≈ 50 g
    _e("tuning fork", 0.05, "steel", 0.12),  # typical 440 Hz
    _e("bell", 0.3, "steel", 0.1, "hand bell", "handbell"),  # typical
    _e("stroller", 9.0, "aluminium", 1.0, "pram", "pushchair", "buggy"),  # typical
    _e("car seat", 4.5, "plastic", 0.6, "child seat"),  # typical infant seat
    # --- people, animals, vehicles: typical adults ---
    _e("person", 70.0, "fabric", 1.7, "man", "woman", "adult", "human", "people", "guy", "girl", "boy", "player",
       "athlete"),  # typical adult 60–80 kg
    _e("child", 25.0, "fabric", 1.2, "kid"),  # typical 7-year-old
    _e("toddler", 12.0, "fabric", 0.85),  # typical 2-year-old
    _e("baby", 6.0, "fabric", 0.6, "infant", "newborn"),  # newborn 3.4 kg, 6 months ≈ 7.5 kg
    _e("dog", 20.0, "fabric", 0.8, "puppy"),  # typical medium breed
    _e("cat", 4.5, "fabric", 0.5, "kitten"),  # typical adult domestic cat
    _e("rabbit", 2.0, "fabric", 0.4, "bunny"),  # typical pet rabbit
    _e("hamster", 0.12, "fabric", 0.15),  # Syrian hamster 100–150 g
    _e("bird", 0.3, "fabric", 0.3, "pigeon", "dove"),  # rock pigeon ≈ 300–360 g
    _e("chicken", 2.5, "fabric", 0.45, "hen", "rooster"),  # typical
    _e("duck", 1.2, "fabric", 0.55),  # mallard ≈ 1–1.3 kg
    _e("horse", 500.0, "fabric", 2.4),  # typical adult
    _e("cow", 700.0, "fabric", 2.5),  # typical adult
    _e("sheep", 70.0, "fabric", 1.3),  # typical adult
    _e("pig", 100.0, "fabric", 1.4),  # typical market pig
    _e("car", 1400.0, "steel", 4.5, "automobile", "sedan"),  # typical compact/mid-size 1.2–1.6 t
    _e("truck", 2500.0, "steel", 5.5, "pickup truck", "pickup", "lorry"),  # typical pickup
    _e("motorcycle", 200.0, "steel", 2.1, "motorbike"),  # typical
    _e("bus", 12000.0, "steel", 12.0),  # typical city bus
    # --- generic shapes: mass follows size and material (scalable) ---
    _e("sphere", 0.5, "plastic", 0.1, "orb", "globe", scalable=True),
    _e("cube", 0.3, "wood", 0.08, scalable=True),
    _e("cylinder", 0.5, "plastic", 0.1, "tube", "rod", "bar", "stick", scalable=True),
    _e("disc", 0.2, "plastic", 0.1, "disk", scalable=True),
    _e("object", 0.5, "plastic", 0.15, "thing", "item", scalable=True),
)

SOLID_SHAPES = {"ball", "sphere", "orb", "cube", "block", "brick", "bar", "rod", "cylinder", "disc", "disk",
                "slab", "ingot", "weight", "puck", "stick", "plate", "sheet", "beam", "bead", "pellet"}
SOLID_SHAPE_FACTOR = {"ball": math.pi / 6, "sphere": math.pi / 6, "orb": math.pi / 6, "bead": math.pi / 6,
                      "pellet": math.pi / 6, "cylinder": math.pi / 4 * 0.5, "rod": 0.02, "stick": 0.02,
                      "bar": 0.1, "beam": 0.1, "disc": 0.15, "disk": 0.15, "puck": 0.3, "plate": 0.05,
                      "sheet": 0.01, "slab": 0.2}  # volume / L³ for a typical aspect ratio (ours)
SIZE_WORDS = {  # ours: a named size class scales the mass (moderately: "small" is a relative word)
    "tiny": 0.3, "miniature": 0.35, "mini": 0.4, "little": 0.6, "small": 0.6, "smaller": 0.6,
    "medium": 1.0, "regular": 1.0, "standard": 1.0, "normal": 1.0,
    "large": 1.6, "big": 1.6, "bigger": 1.6, "larger": 1.6, "huge": 3.0, "giant": 3.0, "enormous": 3.0,
    "massive": 3.0, "jumbo": 2.0, "oversized": 2.0, "heavy": 1.5, "light": 0.7, "lightweight": 0.7,
}
TOY_WORDS = {"toy", "model", "miniature", "plush", "stuffed", "lego", "plastic", "rubber", "inflatable", "figurine"}
TOY_ABLE = {"person", "child", "toddler", "baby", "dog", "cat", "rabbit", "hamster", "bird", "chicken", "duck",
            "horse", "cow", "sheep", "pig", "car", "truck", "motorcycle", "bus", "fish", "bicycle", "piano",
            "drum kit", "guitar"}  # entries whose toy/model version is a small object
STATE_WORDS = {"empty": "empty", "full": "full", "filled": "full"}
IGNORED_WORDS = {
    # articles, determiners, quantities
    "a", "an", "the", "some", "my", "your", "his", "her", "their", "our", "its", "this", "that", "these",
    "those", "one", "single", "two", "three", "another", "any", "each", "every",
    # colours and looks
    "red", "green", "blue", "yellow", "purple", "pink", "black", "white", "grey", "gray",
    "brown", "beige", "dark", "bright", "pale", "colorful", "colourful", "striped", "spotted", "shiny",
    "dull", "transparent", "clear", "multicolored", "painted", "patterned",
    # other adjectives that do not change the mass much
    "old", "new", "used", "broken", "dirty", "clean", "round", "square", "rectangular", "flat", "long",
    "short", "tall", "thin", "thick", "wet", "dry", "hot", "cold", "cute", "nice", "real",
    "plain", "simple", "fancy", "vintage", "modern", "antique", "falling", "bouncing", "rolling", "flying",
    "dropped", "thrown", "moving", "spinning", "ripe", "fresh", "rotten", "whole",
    "inflatable", "inflated", "deflated", "ordinary", "typical", "classic",
}
_IRREGULAR_PLURALS = {
    "knives": "knife", "leaves": "leaf", "loaves": "loaf", "shelves": "shelf", "wolves": "wolf",
    "halves": "half", "calves": "calf", "children": "child", "people": "person", "men": "man",
    "women": "woman", "mice": "mouse", "geese": "goose", "feet": "foot", "teeth": "tooth", "dice": "dice",
    "tomatoes": "tomato", "potatoes": "potato", "mangoes": "mango", "echoes": "echo", "heroes": "hero",
    "boxes": "box", "glasses": "glasses", "scissors": "scissors", "pliers": "pliers", "jeans": "jeans",
    "tongs": "tongs", "headphones": "headphones", "earbuds": "earbuds", "pants": "pants", "keys": "keys",
    "chopsticks": "chopsticks", "trousers": "trousers", "shorts": "shorts", "binoculars": "binoculars",
    "series": "series", "species": "species", "dishes": "dish", "brushes": "brush", "matches": "match",
    "watches": "watch", "benches": "bench", "couches": "couch", "sandwiches": "sandwich",
    "peaches": "peach", "buses": "bus", "gases": "gas", "lenses": "lens", "cherries": "cherry",
    "strawberries": "strawberry", "batteries": "battery", "puppies": "puppy", "babies": "baby",
    "bodies": "body", "candies": "candy", "ladies": "lady", "bunnies": "bunny", "kitties": "kitty",
    "cookies": "cookie", "movies": "movie", "pies": "pie", "ties": "tie", "dies": "die", "lies": "lie",
    "shoes": "shoe", "toes": "toe", "canoes": "canoe", "horseshoes": "horseshoe", "axes": "axe",
    "vases": "vase", "cases": "case", "bases": "base", "phases": "phase", "hoses": "hose",
    "noses": "nose", "roses": "rose", "purses": "purse", "horses": "horse", "houses": "house",
    "cheeses": "cheese",
}


def _singular(word: str) -> str:
    if word in _IRREGULAR_PLURALS:
        return _IRREGULAR_PLURALS[word]
    if len(word) <= 3 or word.endswith(("ss", "us", "is", "ous")):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "xes", "zes", "sses")):
        return word[:-2]
    if word.endswith("s"):
        return word[:-1]
    return word


def _normalise(text: str) -> list[str]:
    text = text.lower().replace("’", "'")
    text = re.sub(r"'s\b", "s", text)
    text = re.sub(r"[^a-z0-9]+", " ", text)
    return [w for w in text.split() if w]


def _key(words: list[str] | tuple[str, ...]) -> str:
    out = [_singular(w) for w in words]
    # "wine glasses" are glasses to drink from; "glasses" alone are spectacles
    return " ".join("glass" if w == "glasses" and i > 0 else w for i, w in enumerate(out))


def _build_index() -> tuple[dict[str, PriorEntry], dict[str, PriorEntry]]:
    by_key: dict[str, PriorEntry] = {}
    by_compact: dict[str, PriorEntry] = {}
    for entry in TABLE:
        if entry.material not in MATERIAL_NAMES:
            raise ValueError(f"prior table: {entry.name!r} has unknown material {entry.material!r}")
        for name in (entry.name, *entry.aliases):
            words = _normalise(name)
            for form in {_key(words), " ".join(words)}:
                by_key.setdefault(form, entry)
                by_compact.setdefault(form.replace(" ", ""), entry)
    return by_key, by_compact


_BY_KEY, _BY_COMPACT = _build_index()


def _lookup(words: list[str]) -> PriorEntry | None:
    if not words:
        return None
    raw = " ".join(words)
    for form in (raw, _key(words)):
        if form in _BY_KEY:
            return _BY_KEY[form]
        compact = form.replace(" ", "")
        if compact in _BY_COMPACT:
            return _BY_COMPACT[compact]
    return None


def _best_ngram(words: list[str]) -> tuple[PriorEntry | None, int]:
    """Longest contiguous word run with a table entry, preferring runs that end on the head noun (last word)."""
    n = len(words)
    for length in range(n, 0, -1):
        # runs ending at the last word first (the head noun of an English noun phrase)
        starts = sorted(range(0, n - length + 1), key=lambda s: (s + length != n, s))
        for s in starts:
            entry = _lookup(words[s : s + length])
            if entry is not None:
                return entry, length
    return None, 0


def _fuzzy(words: list[str]) -> tuple[PriorEntry | None, float]:
    """Spelling slips: close matches of the phrase or of its head noun (difflib ratio ≥ 0.84)."""
    keys = list(_BY_KEY)
    for cand in (" ".join(words), _key(words), _key(words[-1:]), " ".join(words[-2:])):
        hit = difflib.get_close_matches(cand, keys, n=1, cutoff=0.84)
        if hit:
            return _BY_KEY[hit[0]], difflib.SequenceMatcher(None, cand, hit[0]).ratio()
    return None, 0.0


def material_size_mass_kg(material: str, size_m: float, *, solid_shape: str | None = None) -> float:
    """Mass of an object of this material and characteristic size: ρ × fill × L³ (or a solid shape's volume)."""
    props = get_material(material)
    if solid_shape is not None:
        return props.density_kg_m3 * SOLID_SHAPE_FACTOR.get(solid_shape, 1.0) * size_m**3
    return mass_from_size_kg(size_m, props)


GENERIC = PriorEntry("object", 0.5, "plastic", 0.15)


_EXPLICIT_MASS = re.compile(r"(\d+(?:\.\d+)?)\s*(kg|kilograms?|kilos?|g|grams?|lbs?|pounds?|oz|ounces?)\b")
_UNIT_KG = {"kg": 1.0, "kilogram": 1.0, "kilo": 1.0, "g": 1e-3, "gram": 1e-3, "lb": 0.45359237,
            "pound": 0.45359237, "oz": 0.028349523, "ounce": 0.028349523}


def _explicit_mass_kg(text: str) -> float | None:
    """A mass written in the name itself ("5 kg dumbbell", "16 lb bowling ball")."""
    m = _EXPLICIT_MASS.search(text.lower())
    if not m:
        return None
    unit = m.group(2).rstrip("s") if m.group(2) not in ("lbs",) else "lb"
    return float(m.group(1)) * _UNIT_KG.get(unit, _UNIT_KG.get(m.group(2), 1.0))


def mass_prior(name: str, *, size_m: float | None = None) -> MassPrior:
    """Typical mass (kg), material and size of the object called `name`.

    size_m (optional): a measured or given size; it scales the mass of generic shapes and of
    material-only estimates, never of a specific table entry (a standard ball is a standard ball).
    """
    query = name if isinstance(name, str) else str(name)
    explicit = _explicit_mass_kg(query)
    words = [w for w in _normalise(_EXPLICIT_MASS.sub(" ", query.lower())) if not w.isdigit()]
    if explicit is not None and explicit > 0:
        rest = mass_prior(" ".join(words), size_m=size_m) if words else None
        material = rest.material if rest else GENERIC.material
        size = rest.size_m if rest else GENERIC.size_m
        return MassPrior(query, explicit, material, size, rest.matched if rest else None, "name", 1.0,
                         "mass written in the name")
    if " of " in f" {' '.join(words)} ":  # "bottle of water" → also try "water bottle"
        i = words.index("of")
        head, tail = words[:i], words[i + 1 :]
        words_variants = [words, tail + head, head]
    else:
        words_variants = [words]
    size_factor = 1.0
    state = None
    material_hint = None
    cleaned_variants = []
    for variant in words_variants:
        kept = []
        for w in variant:
            if w in SIZE_WORDS:
                size_factor = SIZE_WORDS[w]
                continue
            if w in STATE_WORDS:
                state = STATE_WORDS[w]
                continue
            if w in IGNORED_WORDS:
                continue
            kept.append(w)
        for w in kept:
            if material_hint is None:
                material_hint = material_named(w)
        cleaned_variants.append(kept)

    entry, score, how = None, 0.0, ""
    for kept in [words, *cleaned_variants]:  # the phrase as typed first ("two by four")
        found = _lookup(kept)
        if found is not None:
            entry, score, how = found, 1.0, "exact"
            break
    if entry is None:
        # solid shape of a named material: "steel ball", "wooden block", "glass sphere"
        base = cleaned_variants[0]
        shape = _singular(base[-1]) if base else None
        others = [w for w in base[:-1] if material_named(w) is None]  # words besides materials and the shape
        if material_hint and shape in SOLID_SHAPES and not others:
            size = size_m if size_m else {"ball": 0.05, "cube": 0.05, "block": 0.1}.get(shape, 0.08)
            mass = material_size_mass_kg(material_hint, size, solid_shape=shape) * (1.0 if size_m else size_factor)
            return MassPrior(query, mass, material_hint, size, None, "material_size", 0.6,
                             f"solid {material_hint} {shape} of {size:.3g} m")
        for kept in cleaned_variants:  # spelling slips in the whole phrase ("basketbal", "tenis ball")
            hit = difflib.get_close_matches(" ".join(kept), list(_BY_KEY), n=1, cutoff=0.88) if kept else []
            if hit:
                entry, score, how = _BY_KEY[hit[0]], 0.8, "fuzzy"
                break
    if entry is None:
        for kept in cleaned_variants:
            found, length = _best_ngram(kept)
            if found is not None:
                entry, score, how = found, 0.6 + 0.4 * length / max(len(kept), 1), "partial"
                break
    if entry is None:
        for kept in cleaned_variants:
            if kept:
                found, ratio = _fuzzy(kept)
                if found is not None:
                    entry, score, how = found, 0.5 * ratio, "fuzzy"
                    break
    if entry is not None and not (entry.name == GENERIC.name and material_hint is None):
        mass = entry.mass_kg
        size = entry.size_m
        source = "table"
        detail = f"{how} match: {entry.name!r}"
        if state == "empty" and entry.empty_kg is not None:
            mass = entry.empty_kg
            detail += " (empty)"
        material = entry.material
        if entry.scalable:
            if material_hint is not None:
                material = material_hint
            if size_m:
                ref = material_size_mass_kg(material, entry.size_m) if material_hint else entry.mass_kg
                mass = ref * (size_m / entry.size_m) ** 3
                size = size_m
                source = "table_scaled"
            elif material_hint is not None:
                mass = material_size_mass_kg(material, entry.size_m)
        elif material_hint is not None and how != "exact" and material_hint != entry.material:
            material = material_hint  # "metal bucket": the sound follows the named material
        if entry.name in TOY_ABLE and how != "exact" and any(w in TOY_WORDS for v in words_variants for w in v):
            mass, size = 0.15, 0.15  # a toy or model of it (ours: a typical hand-sized toy)
            material = "fabric" if material_hint == "fabric" else "plastic"
            detail += " (toy/model)"
        mass *= size_factor
        if size_factor != 1.0:
            size *= size_factor ** (1.0 / 3.0)
        return MassPrior(query, mass, material, size, entry.name, source, score, detail)
    warnings = []
    if material_hint is not None:
        size = size_m if size_m else 0.15
        mass = material_size_mass_kg(material_hint, size) * (1.0 if size_m else size_factor)
        warnings.append(f"no prior for {query!r}: mass from {material_hint} density and a {size:.2g} m size")
        return MassPrior(query, mass, material_hint, size, None, "material_size", 0.3,
                         f"{material_hint}, {size:.3g} m", tuple(warnings))
    size = size_m if size_m else GENERIC.size_m
    mass = GENERIC.mass_kg * ((size / GENERIC.size_m) ** 3 if size_m else size_factor)
    warnings.append(f"no prior for {query!r}: generic {mass:.3g} kg object (give --mass-kg or a common object name)")
    return MassPrior(query, mass, GENERIC.material, size, None, "generic", 0.0, "generic object", tuple(warnings))
