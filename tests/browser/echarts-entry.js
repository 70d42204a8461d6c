// The part of Apache ECharts the console draws with (line, bar, funnel on a canvas), bundled
// by bundle-charts.mjs into services/gateway/console/vendor/echarts.js. Only what is named here
// goes into the bundle.
import * as echarts from 'echarts/core';
import { BarChart, FunnelChart, LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TitleComponent, TooltipComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([BarChart, FunnelChart, LineChart, GridComponent, LegendComponent, TitleComponent, TooltipComponent, CanvasRenderer]);
export { echarts };
