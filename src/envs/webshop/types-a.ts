/**
 * Product types of the synthetic catalog, part 1: beauty and electronics.
 */
import { B, color, E, FLUID_SIZES, opt, PACKS, SCENTS, size, split, type TypeSpec } from './vocab.js';

export const TYPES_A: readonly TypeSpec[] = [
  // beauty
  {
    category: 'beauty',
    query: 'shampoo',
    noun: 'Shampoo',
    path: `${B} › Hair Care › Shampoo & Conditioner › Shampoos`,
    attrs: split(
      'sulfate free|paraben free|dry hair|hair growth|natural ingredients|cruelty free|color treated hair|argan oil|tea tree|damaged hair|travel size',
    ),
    options: [size(FLUID_SIZES, [1, 4]), { name: 'scent', pool: SCENTS, count: [1, 3] }],
    price: [6, 38],
  },
  {
    category: 'beauty',
    query: 'deodorant',
    noun: 'Deodorant',
    path: `${B} › Personal Care › Deodorants & Antiperspirants › Deodorants`,
    attrs: split(
      'aluminum free|long lasting|sensitive skin|natural ingredients|baking soda free|cruelty free|vegan|travel size|paraben free',
    ),
    options: [
      { name: 'scent', pool: SCENTS, count: [2, 5] },
      size(split('2.65 ounce (pack of 1)|2.65 ounce (pack of 2)|3 ounce (pack of 3)'), [1, 2]),
    ],
    price: [5, 24],
  },
  {
    category: 'beauty',
    query: 'face moisturizer',
    noun: 'Face Moisturizer',
    path: `${B} › Skin Care › Face › Creams & Moisturizers › Face Moisturizers`,
    attrs: split(
      'hyaluronic acid|fine lines|dry skin|oil free|sensitive skin|anti aging|spf 30|fragrance free|dermatologist tested|non comedogenic',
    ),
    options: [size(split('1.7 ounce|2.5 ounce|3.4 ounce|1.7 ounce (pack of 2)'), [1, 3])],
    price: [9, 68],
  },
  {
    category: 'beauty',
    query: 'lipstick',
    noun: 'Matte Lipstick',
    path: `${B} › Makeup › Lips › Lipstick`,
    attrs: split(
      'long lasting|highly pigmented|cruelty free|vegan|moisturizing|waterproof|transfer proof|paraben free',
    ),
    options: [color([3, 8])],
    price: [4, 29],
  },
  {
    category: 'beauty',
    query: 'hair extensions',
    noun: 'Clip in Hair Extensions',
    path: `${B} › Hair Care › Hair Extensions, Wigs & Accessories › Hair Extensions`,
    attrs: split(
      'natural looking|human hair|easy to use|long hair|heat resistant|high quality|double weft|synthetic hair',
    ),
    options: [color([2, 6]), size(split('14 inch|16 inch|18 inch|20 inch|22 inch'), [2, 4])],
    price: [15, 120],
  },
  {
    category: 'beauty',
    query: 'nail polish',
    noun: 'Gel Nail Polish Set',
    path: `${B} › Foot, Hand & Nail Care › Nail Art & Polish › Nail Polish`,
    attrs: split('long lasting|quick dry|non toxic|easy to apply|high gloss|chip resistant|nail art'),
    options: [color([3, 8]), opt('style', 'set a|set b|set c|single bottle', [1, 3])],
    price: [6, 35],
  },
  {
    category: 'beauty',
    query: 'body lotion',
    noun: 'Body Lotion',
    path: `${B} › Skin Care › Body › Moisturizers › Lotions`,
    attrs: split(
      'dry skin|shea butter|fast absorbing|fragrance free|natural ingredients|sensitive skin|cocoa butter|non greasy',
    ),
    options: [{ name: 'scent', pool: SCENTS, count: [2, 4] }, size(FLUID_SIZES, [1, 3])],
    price: [5, 32],
  },
  {
    category: 'beauty',
    query: 'hair dryer',
    noun: 'Ionic Hair Dryer',
    path: `${B} › Hair Care › Styling Tools & Appliances › Hair Dryers`,
    attrs: split(
      'fast drying|low noise|ionic technology|lightweight|diffuser attachment|heat settings|travel size|frizz control',
    ),
    options: [color([1, 3])],
    price: [19, 149],
  },
  // electronics
  {
    category: 'electronics',
    query: 'wireless earbuds',
    noun: 'Wireless Earbuds',
    path: `${E} › Headphones, Earbuds & Accessories › Earbud Headphones`,
    attrs: split(
      'noise cancelling|bluetooth 5.3|long battery life|water resistant|charging case|built in microphone|touch control|deep bass',
    ),
    options: [color([1, 4])],
    price: [15, 199],
  },
  {
    category: 'electronics',
    query: 'bluetooth speaker',
    noun: 'Portable Bluetooth Speaker',
    path: `${E} › Portable Audio & Video › Portable Speakers & Docks › Portable Bluetooth Speakers`,
    attrs: split(
      'waterproof|long battery life|stereo sound|portable|loud volume|built in microphone|outdoor use|deep bass',
    ),
    options: [color([1, 5])],
    price: [19, 179],
  },
  {
    category: 'electronics',
    query: 'usb c charger',
    noun: 'USB C Fast Charger',
    path: `${E} › Computers & Accessories › Power Accessories › Chargers`,
    attrs: split(
      'fast charging|compact size|foldable plug|dual port|overheat protection|travel friendly|gan technology',
    ),
    options: [
      opt('style', '20w|30w|45w|65w|100w', [2, 4]),
      { name: 'item package quantity', pool: PACKS, count: [1, 3] },
    ],
    price: [9, 69],
  },
  {
    category: 'electronics',
    query: 'hdmi cable',
    noun: 'High Speed HDMI Cable',
    path: `${E} › Accessories & Supplies › Audio & Video Accessories › Cables › HDMI Cables`,
    attrs: split('high speed|4k hdr|gold plated|braided cord|ethernet|durable|8k support'),
    options: [
      size(split('3 ft|6 ft|10 ft|15 ft|25 ft'), [2, 5]),
      { name: 'item package quantity', pool: PACKS, count: [1, 2] },
    ],
    price: [5, 35],
  },
  {
    category: 'electronics',
    query: 'phone case',
    noun: 'Shockproof Phone Case',
    path: `${E} › Cell Phones & Accessories › Cases, Holsters & Sleeves › Basic Cases`,
    attrs: split(
      'shockproof|slim fit|wireless charging compatible|scratch resistant|kickstand|drop protection|clear back|easy install',
    ),
    options: [color([3, 7]), opt('style', 'iphone 14|iphone 15|galaxy s23|galaxy s24|pixel 8', [1, 3])],
    price: [6, 45],
  },
  {
    category: 'electronics',
    query: 'laptop stand',
    noun: 'Adjustable Laptop Stand',
    path: `${E} › Computers & Accessories › Laptop Accessories › Stands`,
    attrs: split(
      'height adjustable|aluminum alloy|heat dissipation|foldable|ergonomic design|non slip|portable',
    ),
    options: [color([1, 3])],
    price: [14, 79],
  },
  {
    category: 'electronics',
    query: 'smart watch',
    noun: 'Smart Watch',
    path: `${E} › Wearable Technology › Smartwatches`,
    attrs: split(
      'heart rate monitor|sleep tracking|water resistant|long battery life|fitness tracker|blood oxygen|gps|call notification',
    ),
    options: [color([2, 5]), size(split('40mm|44mm|45mm'), [1, 2])],
    price: [29, 299],
  },
  {
    category: 'electronics',
    query: 'power bank',
    noun: 'Portable Power Bank',
    path: `${E} › Cell Phones & Accessories › Chargers & Power Adapters › Portable Power Banks`,
    attrs: split('fast charging|high capacity|usb c|led display|compact size|dual output|airplane friendly'),
    options: [opt('capacity', '5000mah|10000mah|20000mah|26800mah', [2, 4]), color([1, 3])],
    price: [15, 89],
  },
];
