/**
 * Product types of the synthetic catalog, part 2: fashion, food and furniture.
 */
import {
  APPAREL_SIZES,
  color,
  F,
  FLAVORS,
  FOOD_SIZES,
  G,
  H,
  PACKS,
  SHOE_SIZES,
  size,
  split,
  type TypeSpec,
  wood,
} from './vocab.js';

export const TYPES_B: readonly TypeSpec[] = [
  // fashion
  {
    category: 'fashion',
    query: "men's t-shirt",
    noun: "Men's Crew Neck T-Shirt",
    path: `${F} › Men › Clothing › Shirts › T-Shirts`,
    attrs: split(
      'machine wash|short sleeve|cotton blend|regular fit|moisture wicking|classic fit|soft fabric|long sleeve',
    ),
    options: [color([3, 7]), size(APPAREL_SIZES, [4, 7])],
    price: [9, 39],
  },
  {
    category: 'fashion',
    query: "women's jumpsuit",
    noun: "Women's Casual Jumpsuit",
    path: `${F} › Women › Clothing › Jumpsuits, Rompers & Overalls`,
    attrs: split(
      'high waist|wide leg|short sleeve|polyester spandex|daily wear|loose fit|machine wash|elastic waist',
    ),
    options: [color([2, 6]), size(APPAREL_SIZES, [4, 6])],
    price: [19, 59],
  },
  {
    category: 'fashion',
    query: 'running shoes',
    noun: 'Running Shoes',
    path: `${F} › Men › Shoes › Athletic › Running › Road Running`,
    attrs: split(
      'rubber sole|lightweight|breathable mesh|non slip|memory foam|arch support|lace up|cushioned',
    ),
    options: [color([2, 5]), size(SHOE_SIZES, [5, 10])],
    price: [29, 139],
  },
  {
    category: 'fashion',
    query: 'yoga pants',
    noun: "Women's High Waist Yoga Pants",
    path: `${F} › Women › Clothing › Active › Active Pants › Leggings`,
    attrs: split(
      'high waist|tummy control|butt lifting|moisture wicking|four way stretch|squat proof|pockets|machine wash',
    ),
    options: [color([3, 6]), size(APPAREL_SIZES, [4, 6])],
    price: [14, 49],
  },
  {
    category: 'fashion',
    query: 'hoodie',
    noun: 'Pullover Hoodie',
    path: `${F} › Men › Clothing › Fashion Hoodies & Sweatshirts`,
    attrs: split(
      'fleece lined|long sleeve|kangaroo pocket|drawstring hood|machine wash|relaxed fit|cotton blend',
    ),
    options: [color([3, 6]), size(APPAREL_SIZES, [4, 7])],
    price: [19, 65],
  },
  {
    category: 'fashion',
    query: 'maxi dress',
    noun: 'Floral Maxi Dress',
    path: `${F} › Women › Clothing › Dresses › Casual`,
    attrs: split('short sleeve|v neck|flowy|summer beach|high waist|machine wash|side split|button down'),
    options: [color([2, 6]), size(APPAREL_SIZES, [4, 6])],
    price: [22, 69],
  },
  {
    category: 'fashion',
    query: 'crew socks',
    noun: 'Cushioned Crew Socks',
    path: `${F} › Men › Clothing › Socks › Athletic Socks`,
    attrs: split('moisture wicking|arch support|cushioned sole|breathable|machine wash|cotton blend'),
    options: [
      color([2, 4]),
      size(split('shoe size 6-9|shoe size 9-12|shoe size 12-15'), [2, 3]),
      { name: 'item package quantity', pool: PACKS, count: [1, 3] },
    ],
    price: [8, 29],
  },
  {
    category: 'fashion',
    query: 'winter jacket',
    noun: 'Winter Puffer Jacket',
    path: `${F} › Women › Clothing › Coats, Jackets & Vests › Down & Down Alternative`,
    attrs: split('water resistant|hooded|warm lining|zip pockets|windproof|packable|quilted|machine wash'),
    options: [color([2, 5]), size(APPAREL_SIZES, [4, 6])],
    price: [39, 199],
  },
  // food
  {
    category: 'food',
    query: 'green tea',
    noun: 'Organic Green Tea Bags',
    path: `${G} › Beverages › Tea › Green`,
    attrs: split(
      'usda organic|decaf|non gmo|caffeine free|individually wrapped|sugar free|gluten free|antioxidant rich',
    ),
    options: [
      { name: 'flavor name', pool: split('original|jasmine|mint|lemon|honey ginseng|matcha'), count: [1, 4] },
      size(FOOD_SIZES, [1, 3]),
    ],
    price: [4, 29],
  },
  {
    category: 'food',
    query: 'coffee beans',
    noun: 'Whole Bean Coffee',
    path: `${G} › Beverages › Coffee, Tea & Cocoa › Coffee › Whole Coffee Beans`,
    attrs: split(
      'medium roast|dark roast|single origin|fair trade|usda organic|low acid|arabica|freshly roasted',
    ),
    options: [
      {
        name: 'flavor name',
        pool: split('original|vanilla|caramel|hazelnut|french roast|espresso'),
        count: [1, 4],
      },
      size(FOOD_SIZES, [1, 3]),
    ],
    price: [8, 42],
  },
  {
    category: 'food',
    query: 'protein bars',
    noun: 'Protein Bars',
    path: `${G} › Snack Foods › Bars › Protein Bars`,
    attrs: split(
      'high protein|gluten free|low sugar|keto friendly|non gmo|plant based|soy free|individually wrapped',
    ),
    options: [
      { name: 'flavor name', pool: FLAVORS, count: [2, 5] },
      size(split('12 count (pack of 1)|15 count (pack of 1)|24 count (pack of 1)'), [1, 2]),
    ],
    price: [12, 45],
  },
  {
    category: 'food',
    query: 'dark chocolate',
    noun: 'Dark Chocolate Bar',
    path: `${G} › Snack Foods › Candy & Chocolate › Chocolate Bars`,
    attrs: split('70% cacao|fair trade|sugar free|dairy free|vegan|gluten free|usda organic|keto friendly'),
    options: [
      {
        name: 'flavor name',
        pool: split('original|sea salt|almond|mint|orange|raspberry|coconut'),
        count: [2, 4],
      },
      size(FOOD_SIZES, [1, 2]),
    ],
    price: [3, 28],
  },
  {
    category: 'food',
    query: 'olive oil',
    noun: 'Extra Virgin Olive Oil',
    path: `${G} › Pantry Staples › Cooking Oils, Vinegars & Sprays › Oils › Olive`,
    attrs: split(
      'cold pressed|extra virgin|first cold pressed|non gmo|usda organic|single origin|kosher|glass bottle',
    ),
    options: [size(split('16.9 fl oz|25.3 fl oz|33.8 fl oz|101 fl oz'), [2, 4])],
    price: [8, 49],
  },
  {
    category: 'food',
    query: 'granola',
    noun: 'Crunchy Granola',
    path: `${G} › Breakfast Foods › Cereals › Granola`,
    attrs: split('gluten free|whole grain|low sugar|high fiber|non gmo|plant based|no artificial flavors'),
    options: [{ name: 'flavor name', pool: FLAVORS, count: [2, 4] }, size(FOOD_SIZES, [1, 3])],
    price: [4, 24],
  },
  {
    category: 'food',
    query: 'beef jerky',
    noun: 'Beef Jerky',
    path: `${G} › Snack Foods › Jerky & Dried Meats › Beef`,
    attrs: split('high protein|low fat|gluten free|grass fed|no preservatives|keto friendly|ready to eat'),
    options: [
      {
        name: 'flavor name',
        pool: split('original|teriyaki|peppered|sweet & hot|smoky bbq|spicy'),
        count: [2, 5],
      },
      size(FOOD_SIZES, [1, 3]),
    ],
    price: [6, 39],
  },
  {
    category: 'food',
    query: 'hot sauce',
    noun: 'Hot Sauce',
    path: `${G} › Pantry Staples › Condiments & Salad Dressings › Hot Sauce`,
    attrs: split('small batch|non gmo|gluten free|no sugar added|vegan|kosher|all natural'),
    options: [
      {
        name: 'flavor name',
        pool: split('original|habanero|ghost pepper|chipotle|garlic|green jalapeno'),
        count: [2, 5],
      },
      size(split('5 fl oz|10 fl oz|5 fl oz (pack of 3)'), [1, 3]),
    ],
    price: [4, 26],
  },
  // furniture
  {
    category: 'furniture',
    query: 'office chair',
    noun: 'Ergonomic Office Chair',
    path: `${H} › Home Office Furniture › Home Office Chairs › Home Office Desk Chairs`,
    attrs: split(
      'lumbar support|height adjustable|mesh back|easy assemble|swivel|adjustable armrests|high back|heavy duty',
    ),
    options: [color([1, 4])],
    price: [59, 329],
  },
  {
    category: 'furniture',
    query: 'bookshelf',
    noun: 'Bookshelf',
    path: `${H} › Home Office Furniture › Bookcases`,
    attrs: split(
      'easy assemble|storage space|engineered wood|5 tier|industrial style|living room|space saving|metal frame',
    ),
    options: [wood(), size(split('3 tier|4 tier|5 tier|6 tier'), [1, 3])],
    price: [39, 229],
  },
  {
    category: 'furniture',
    query: 'coffee table',
    noun: 'Coffee Table',
    path: `${H} › Living Room Furniture › Tables › Coffee Tables`,
    attrs: split(
      'living room|storage space|mid century|easy assemble|solid wood|lift top|round|modern design',
    ),
    options: [wood()],
    price: [59, 399],
  },
  {
    category: 'furniture',
    query: 'bed frame',
    noun: 'Metal Platform Bed Frame',
    path: `${H} › Bedroom Furniture › Beds, Frames & Bases › Beds`,
    attrs: split(
      'no box spring needed|under bed storage|heavy duty|noise free|easy assemble|steel slats|headboard',
    ),
    options: [size(split('twin|full|queen|king'), [2, 4]), color([1, 3])],
    price: [79, 459],
  },
  {
    category: 'furniture',
    query: 'nightstand',
    noun: 'Nightstand with Drawer',
    path: `${H} › Bedroom Furniture › Nightstands`,
    attrs: split('storage space|easy assemble|bedroom|charging station|solid wood|open shelf|small space'),
    options: [wood(), { name: 'item package quantity', pool: split('1 pack|set of 2'), count: [1, 2] }],
    price: [29, 189],
  },
  {
    category: 'furniture',
    query: 'tv stand',
    noun: 'TV Stand Entertainment Center',
    path: `${H} › Living Room Furniture › TV & Media Furniture › Television Stands & Entertainment Centers`,
    attrs: split(
      'storage space|cable management|living room|easy assemble|led lights|engineered wood|farmhouse style',
    ),
    options: [wood(), size(split('55 inch|65 inch|70 inch|80 inch'), [1, 3])],
    price: [79, 429],
  },
  {
    category: 'furniture',
    query: 'bar stools',
    noun: 'Counter Height Bar Stools',
    path: `${H} › Kitchen & Dining Room Furniture › Stools › Barstools`,
    attrs: split(
      'counter height|swivel|faux leather|footrest|set of 2|height adjustable|easy assemble|backrest',
    ),
    options: [color([2, 4]), size(split('24 inch|26 inch|30 inch'), [1, 3])],
    price: [49, 279],
  },
  {
    category: 'furniture',
    query: 'shoe rack',
    noun: 'Shoe Rack Organizer',
    path: `${H} › Entryway Furniture › Shoe Racks`,
    attrs: split('space saving|easy assemble|entryway|metal frame|stackable|10 tier|non woven fabric|bamboo'),
    options: [wood([1, 3]), size(split('3 tier|4 tier|6 tier|10 tier'), [1, 3])],
    price: [15, 89],
  },
];
