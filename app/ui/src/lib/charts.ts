// Chart.js with only the pieces Kept uses (tree-shaken, bundled: no CDN).
import {
  ArcElement,
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  DoughnutController,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartConfiguration,
} from 'chart.js';

Chart.register(
  ArcElement,
  BarController,
  BarElement,
  CategoryScale,
  DoughnutController,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
);
Chart.defaults.font.family = getComputedStyle(document.documentElement).fontFamily || 'system-ui, sans-serif';
Chart.defaults.color = '#3d4852';

export { Chart };
export type { ChartConfiguration };

/** Calm, colour-blind-friendly series palette (pace colours are reserved for pace). */
export const SERIES = ['#1f5f99', '#7a5195', '#3f8f8f', '#b5651d', '#5b6770', '#9c4f72', '#2f6f4f'];

export const KARE_COLORS: Record<string, string> = {
  keep: '#1f5f99',
  attain: '#7a5195',
  recapture: '#3f8f8f',
  expand: '#b5651d',
  none: '#c3cad1',
};
