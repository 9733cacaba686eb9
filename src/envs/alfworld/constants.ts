/**
 * ALFWorld's facts, carried over from its public sources (alfworld/alfworld,
 * MIT): `alfworld/gen/constants.py` (which object types each receptacle type
 * may hold — VAL_RECEPTACLE_OBJECTS —, which objects can be heated, cooled,
 * cleaned or toggled, which receptacles open, the scene numbers of each room
 * kind, the room kinds each task type is valid in), `alfworld/gen/goal_library.py`
 * (the goal templates) and `alfred_tw_env.py` (the task-type ids). Sliced
 * variants (`AppleSliced`, …) are left out: ALFWorld's text games skip the
 * sliced trajectories, and no generated task slices.
 */

/** A list written as space-separated words (keeps these long lists readable). */
function words(text: string): string[] {
  return text.split(' ');
}

/** Task-type ids as ALFWorld numbers them (`alfred_tw_env.py::TASK_TYPES`). */
export const TASK_TYPES = {
  1: 'pick_and_place_simple',
  2: 'look_at_obj_in_light',
  3: 'pick_clean_then_place_in_recep',
  4: 'pick_heat_then_place_in_recep',
  5: 'pick_cool_then_place_in_recep',
  6: 'pick_two_obj_and_place',
} as const;

export type TaskTypeId = keyof typeof TASK_TYPES;
export type TaskType = (typeof TASK_TYPES)[TaskTypeId];
export const TASK_TYPE_IDS = [1, 2, 3, 4, 5, 6] as const satisfies readonly TaskTypeId[];

/** Short names for per-type metrics and tables (the paper's Table 2 columns). */
export const TASK_TYPE_SHORT: Record<TaskType, string> = {
  pick_and_place_simple: 'pick',
  look_at_obj_in_light: 'look',
  pick_clean_then_place_in_recep: 'clean',
  pick_heat_then_place_in_recep: 'heat',
  pick_cool_then_place_in_recep: 'cool',
  pick_two_obj_and_place: 'pick2',
};

/** Goal templates (`goal_library.py`, non-sliced); the game's grammar adds the final period. */
export const GOAL_TEMPLATES: Record<TaskType, readonly [string, string]> = {
  pick_and_place_simple: ['put a {obj} in {recep}', 'put some {obj} on {recep}'],
  look_at_obj_in_light: ['look at {obj} under the {toggle}', 'examine the {obj} with the {toggle}'],
  pick_clean_then_place_in_recep: ['put a clean {obj} in {recep}', 'clean some {obj} and put it in {recep}'],
  pick_heat_then_place_in_recep: ['put a hot {obj} in {recep}', 'heat some {obj} and put it in {recep}'],
  pick_cool_then_place_in_recep: ['put a cool {obj} in {recep}', 'cool some {obj} and put it in {recep}'],
  pick_two_obj_and_place: ['put two {obj} in {recep}', 'find two {obj} and put them in {recep}'],
};

export const ROOM_KINDS = ['kitchen', 'livingroom', 'bedroom', 'bathroom'] as const;
export type RoomKind = (typeof ROOM_KINDS)[number];

/** Floor-plan numbers of each room kind (`constants.SCENE_TYPE`). */
export function roomKindOf(planNumber: number): RoomKind | null {
  if (planNumber >= 1 && planNumber <= 30) return 'kitchen';
  if (planNumber >= 201 && planNumber <= 230) return 'livingroom';
  if (planNumber >= 301 && planNumber <= 330) return 'bedroom';
  if (planNumber >= 401 && planNumber <= 430) return 'bathroom';
  return null;
}

/** ALFWorld's train scenes are numbers 7–30 of each kind, its test (unseen) scenes 1–6 (`TRAIN/TEST_SCENE_NUMBERS`). */
export function isSeenPlan(planNumber: number): boolean {
  return planNumber % 100 >= 7;
}

/** Room kinds each task type is generated in (`constants.GOALS_VALID`). */
export const GOALS_VALID: Record<TaskType, readonly RoomKind[]> = {
  pick_and_place_simple: ['kitchen', 'livingroom', 'bathroom', 'bedroom'],
  pick_two_obj_and_place: ['kitchen', 'livingroom', 'bathroom', 'bedroom'],
  look_at_obj_in_light: ['livingroom', 'bedroom'],
  pick_clean_then_place_in_recep: ['kitchen', 'bathroom'],
  pick_heat_then_place_in_recep: ['kitchen'],
  pick_cool_then_place_in_recep: ['kitchen'],
};

/** Receptacles that open and close (`OPENABLE_CLASS_LIST`, the static ones; Box is a movable object). */
export const OPENABLE_TYPES: ReadonlySet<string> = new Set(words('Fridge Cabinet Microwave Drawer Safe'));

/** Objects that hold other objects in AI2-THOR (`MOVABLE_RECEPTACLES`); in the text games they are plain objects. */
export const RECEPTACLE_OBJECT_TYPES: ReadonlySet<string> = new Set(words('Bowl Box Cup Mug Plate Pan Pot'));

export const HEATABLE: ReadonlySet<string> = new Set(words('Apple Bread Cup Egg Mug Plate Potato Tomato'));

export const COOLABLE: ReadonlySet<string> = new Set(
  words('Apple Bowl Bread Cup Egg Lettuce Mug Pan Plate Pot Potato Tomato WineBottle'),
);

export const CLEANABLE: ReadonlySet<string> = new Set(
  words(
    'Apple Bowl ButterKnife Cloth Cup DishSponge Egg Fork Kettle Knife Ladle Lettuce Mug Pan Plate Pot Potato SoapBar Spatula Spoon Tomato',
  ),
);

export const TOGGLEABLE: ReadonlySet<string> = new Set(['DeskLamp', 'FloorLamp']);
export const SLICEABLE: ReadonlySet<string> = new Set(words('Apple Bread Egg Lettuce Potato Tomato'));
/** What `slice X with K` takes as K (the PDDL domain's SliceObject). */
export const KNIFE_TYPES: ReadonlySet<string> = new Set(['Knife', 'ButterKnife']);

/**
 * Where a lamp stands in a generated room: lamps are in no VAL_RECEPTACLE_OBJECTS list (AI2-THOR
 * places them with the scene), and the text game's `use` needs the lamp in a receptacle.
 */
export const LAMP_RECEPTACLES: readonly string[] = [
  'Desk',
  'SideTable',
  'Dresser',
  'DiningTable',
  'CoffeeTable',
];

const TABLE_TOP = words(
  'AlarmClock Apple BaseballBat BasketBall Book Bowl Box Bread ButterKnife Candle CD CellPhone Cloth CreditCard Cup DishSponge Glassbottle Egg Fork Kettle KeyChain Knife Ladle Laptop Lettuce Mug Newspaper Pan PaperTowel Pen Pencil PepperShaker Plate Pot Potato RemoteControl SaltShaker SoapBar SoapBottle Spatula Spoon SprayBottle Statue TennisRacket TissueBox ToiletPaper ToiletPaperRoll Tomato Vase Watch WateringCan WineBottle HandTowel',
);
const SEAT = words(
  'BasketBall Book Box CellPhone Cloth CreditCard KeyChain Laptop Newspaper Pillow RemoteControl',
);
const DESK = words(
  'AlarmClock BasketBall Book Bowl Box Candle CD CellPhone Cloth CreditCard Cup Glassbottle KeyChain Laptop Mug Newspaper Pen Pencil Plate RemoteControl SprayBottle Statue TennisRacket TissueBox ToiletPaper ToiletPaperRoll Vase Watch WateringCan WineBottle',
);
/** The object types each static receptacle type may hold (`VAL_RECEPTACLE_OBJECTS`, non-sliced). */
export const CAN_CONTAIN: Readonly<Record<string, readonly string[]>> = {
  CoffeeMachine: ['Mug'],
  Microwave: ['Apple', 'Bowl', 'Bread', 'Cup', 'Egg', 'Glassbottle', 'Mug', 'Plate', 'Potato', 'Tomato'],
  StoveBurner: ['Kettle', 'Pan', 'Pot'],
  Fridge: words('Apple Bowl Bread Cup Egg Glassbottle Lettuce Mug Pan Plate Pot Potato Tomato WineBottle'),
  Sofa: SEAT,
  ArmChair: SEAT,
  Ottoman: SEAT,
  Dresser: DESK,
  Desk: [...DESK, 'SoapBottle'],
  LaundryHamper: ['Cloth'],
  Bed: ['BaseballBat', 'BasketBall', 'Book', 'CellPhone', 'Laptop', 'Newspaper', 'Pillow', 'TennisRacket'],
  Toilet: words(
    'Candle Cloth DishSponge Newspaper PaperTowel SoapBar SoapBottle SprayBottle TissueBox ToiletPaper ToiletPaperRoll HandTowel',
  ),
  ToiletPaperHanger: ['ToiletPaper', 'ToiletPaperRoll'],
  TowelHolder: ['Towel'],
  HandTowelHolder: ['HandTowel'],
  Cart: words(
    'Candle Cloth DishSponge Mug PaperTowel Plunger SoapBar SoapBottle SprayBottle Statue TissueBox ToiletPaper ToiletPaperRoll Vase HandTowel',
  ),
  BathtubBasin: ['Cloth', 'DishSponge', 'SoapBar', 'HandTowel'],
  SinkBasin: words(
    'Apple Bowl ButterKnife Cloth Cup DishSponge Egg Glassbottle Fork Kettle Knife Ladle Lettuce Mug Pan Plate Pot Potato SoapBar Spatula Spoon Tomato HandTowel',
  ),
  Cabinet: words(
    'Book Bowl Box Candle CD Cloth Cup DishSponge Glassbottle Kettle Ladle Mug Newspaper Pan PepperShaker Plate Plunger Pot SaltShaker SoapBar SoapBottle SprayBottle TissueBox ToiletPaper ToiletPaperRoll Vase WateringCan WineBottle HandTowel',
  ),
  CounterTop: TABLE_TOP,
  DiningTable: TABLE_TOP,
  CoffeeTable: TABLE_TOP,
  SideTable: TABLE_TOP,
  Shelf: words(
    'AlarmClock Book Bowl Box Candle CD CellPhone Cloth CreditCard Cup DishSponge Glassbottle Kettle KeyChain Mug Newspaper PaperTowel Pen Pencil PepperShaker Plate Pot RemoteControl SaltShaker SoapBar SoapBottle SprayBottle Statue TissueBox ToiletPaper ToiletPaperRoll Vase Watch WateringCan WineBottle HandTowel',
  ),
  Drawer: words(
    'Book ButterKnife Candle CD CellPhone Cloth CreditCard DishSponge Fork KeyChain Knife Ladle Newspaper Pen Pencil PepperShaker RemoteControl SaltShaker SoapBar SoapBottle Spatula Spoon SprayBottle TissueBox ToiletPaper ToiletPaperRoll Watch WateringCan HandTowel',
  ),
  GarbageCan: words(
    'Apple Bread CD Cloth DishSponge Egg Lettuce Newspaper PaperTowel Pen Pencil Potato SoapBar SoapBottle SprayBottle TissueBox ToiletPaper ToiletPaperRoll Tomato WineBottle HandTowel',
  ),
  Safe: ['CD', 'CellPhone', 'CreditCard', 'KeyChain', 'Statue', 'Vase', 'Watch'],
  TVStand: ['TissueBox'],
  Toaster: [],
};

/** The static receptacle types of the text games (`RECEPTACLES` without the movable ones and PaintingHanger). */
export const RECEPTACLE_TYPES: ReadonlySet<string> = new Set(Object.keys(CAN_CONTAIN));

/** The object types a receptacle may hold somewhere: what a generated room places. */
export const PLACEABLE_TYPES: ReadonlySet<string> = new Set(Object.values(CAN_CONTAIN).flat());

/** MOVABLE_RECEPTACLES and the sliced variants aside, the appliance each treatment uses. */
export const TREATMENT_APPLIANCE: Partial<Record<TaskType, string>> = {
  pick_clean_then_place_in_recep: 'SinkBasin',
  pick_heat_then_place_in_recep: 'Microwave',
  pick_cool_then_place_in_recep: 'Fridge',
};

/** Up to this many instances of a type in a generated room (`MAX_NUM_OF_OBJ_INSTANCES`). */
export const MAX_INSTANCES = 3;
/** Up to this many instances of the task's object (`PICKUP_REPEAT_MAX`). */
export const PICKUP_REPEAT_MAX = 4;
/** TextWorld's `max_episode_steps` in ALFWorld's config (dagger training): the game ends after 50 commands. */
export const MAX_STEPS = 50;
