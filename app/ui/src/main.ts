import { mount } from 'svelte';
import App from './App.svelte';
import './app.css';
import { locale } from './lib/format';

const target = document.getElementById('app');
if (!target) throw new Error('#app missing');
document.documentElement.lang = locale() ?? 'en';

export default mount(App, { target });
