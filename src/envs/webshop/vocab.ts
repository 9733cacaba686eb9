/**
 * Vocabulary of the synthetic catalog: the five WebShop categories (beauty,
 * electronics, fashion, food, furniture), their product types with the
 * breadcrumb, attribute phrases and buying options that such store listings
 * carry. Data only; `generator.ts` assembles products from it.
 */

export interface OptionSpec {
  /** Option name as on the item page (lower case). */
  name: string;
  /** Pool of values (lower case); a product offers a contiguous or random subset. */
  pool: readonly string[];
  /** How many values a product offers: [min, max]. */
  count: [number, number];
}

export interface TypeSpec {
  category: string;
  /** The product-type query (reference `query`), lower case. */
  query: string;
  /** Noun used in titles, title case. */
  noun: string;
  /** Breadcrumb, `›`-separated. */
  path: string;
  /** Attribute phrases (lower case). */
  attrs: readonly string[];
  options: readonly OptionSpec[];
  /** Price range in dollars. */
  price: [number, number];
}

export const split = (s: string): string[] => s.split('|');

export const COLORS = split(
  'black|white|navy blue|grey|red|pink|beige|green|brown|burgundy|light blue|khaki|purple|ivory|olive green|charcoal|teal|yellow|orange|silver|gold|rose gold|coral|lavender|mint green|wine red',
);
export const WOOD_FINISHES = split(
  'walnut|espresso|natural oak|white oak|rustic brown|black|white|grey wash|cherry|vintage brown',
);
export const APPAREL_SIZES = split('x-small|small|medium|large|x-large|xx-large|3x-large');
export const SHOE_SIZES = split('6|6.5|7|7.5|8|8.5|9|9.5|10|10.5|11|12|13');
export const FLUID_SIZES = split(
  '1.7 fl oz (pack of 1)|3.4 fl oz (pack of 1)|8 fl oz (pack of 1)|12 fl oz (pack of 1)|16.9 fl oz (pack of 1)|8 fl oz (pack of 2)|33.8 fl oz (pack of 1)|16 fl oz (pack of 3)',
);
export const FOOD_SIZES = split(
  '4 ounce (pack of 1)|8 ounce (pack of 1)|12 ounce (pack of 1)|16 ounce (pack of 2)|1.5 pound (pack of 1)|2 pound (pack of 1)|12 count (pack of 1)|24 count (pack of 1)|6 count (pack of 4)',
);
export const SCENTS = split(
  'lavender|unscented|citrus|coconut|rose|eucalyptus|sandalwood|vanilla|fresh linen|ocean breeze|cucumber melon|cedarwood',
);
export const FLAVORS = split(
  'original|vanilla|chocolate|peanut butter|sea salt|honey|spicy|mango|strawberry|mint|caramel|unsweetened|cinnamon|lemon|blueberry|smoky bbq',
);
export const PACKS = split('1 pack|2 pack|3 pack|4 pack|6 pack|10 pack');

export const color = (count: [number, number] = [2, 6]): OptionSpec => ({
  name: 'color',
  pool: COLORS,
  count,
});
export const wood = (count: [number, number] = [2, 4]): OptionSpec => ({
  name: 'color',
  pool: WOOD_FINISHES,
  count,
});
export const size = (pool: readonly string[], count: [number, number]): OptionSpec => ({
  name: 'size',
  pool,
  count,
});
export const opt = (name: string, values: string, count: [number, number]): OptionSpec => ({
  name,
  pool: split(values),
  count,
});

export const B = 'Beauty & Personal Care';
export const E = 'Electronics';
export const F = 'Clothing, Shoes & Jewelry';
export const G = 'Grocery & Gourmet Food';
export const H = 'Home & Kitchen › Furniture';

/** Made-up brand names. */
export const BRANDS = split(
  'Lumiere|Northwind|Aurelia|Bramblecrest|Cobaltline|Driftwood & Co|Evergreen Labs|Fable Home|Glimmerwood|Harborlight|Ironbark|Juniper Lane|Kestrel|Larkspur|Meridian|Nimbus|Oakhaven|Pinecrest|Quillon|Redstone|Silverleaf|Tidewater|Umbra|Vantage|Willowmere|Yarrow|Zephyr|Alder & Ash|Bluefin|Cedar Ridge|Dovetail|Emberly|Foxglove|Granite Peak|Hollowbrook|Indigo Bay|Jadestone|Kindred|Luma|Mossy Oak Goods',
);

export const REVIEW_TITLES = split(
  'Great value|Exactly as described|Love it|Works as expected|Not what I expected|Good quality for the price|Would buy again|Just okay|Better than the brand names|Fell apart quickly|Five stars|Perfect gift',
);
export const REVIEW_BODIES = split(
  'Arrived quickly and does what it says.|The quality is better than I expected for the price.|I have been using it for a month and it still looks new.|Smaller than I thought, but it works.|My family loves it and we ordered a second one.|It stopped working after two weeks, disappointed.|The color is a little different from the picture.|Easy to use and the instructions were clear.',
);
export const BENEFITS = split(
  'designed for everyday use and built to last|made with carefully selected materials|tested for quality and safety|a thoughtful gift for friends and family|backed by our friendly customer service|easy to use right out of the box|great for home, travel and the office',
);
