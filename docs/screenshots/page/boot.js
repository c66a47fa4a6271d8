// Loads the web components from ../node_modules, re-themes them to Discord's current dark theme, opens a modal if
// the page has one, waits until everything (fonts, images, nested components) has settled, and then reports the
// page's height in document.title ("ready:<px>") for render.py; any error is reported as "error:<message>".
import '../node_modules/@skyra/discord-components-core/dist/index.js';

const fail = (message) => {
	document.title = `error:${message}`;
};
window.addEventListener('error', (event) => fail(event.message));
window.addEventListener('unhandledrejection', (event) => fail(String(event.reason?.stack ?? event.reason)));

// Discord's dark theme (2024 palette). The components ship an older palette; these win over it because they are
// adopted after the components' own styles. Keyed by tag name.
const T = {
	bg: '#313338',
	embed: '#2b2d31',
	tertiary: '#1e1f22',
	text: '#dbdee1',
	header: '#f2f3f5',
	muted: '#949ba4',
	link: '#00a8fc',
	primary: '#5865f2',
	secondary: '#4e5058',
	success: '#248046',
	danger: '#da373c'
};
const OVERRIDES = {
	'discord-messages': `
		:host { background-color: ${T.bg}; color: ${T.text}; border: 0; font-family: var(--font); }
		.discord-channel-header { min-height: 32px; padding: 8px 12px; font-weight: 600; color: ${T.header};
			box-shadow: 0 1px 0 rgba(4,4,5,.2), 0 1.5px 0 rgba(6,6,7,.05), 0 2px 0 rgba(4,4,5,.05); }
		.discord-channel-icon { color: #80848e; margin: 0 8px 0 4px; }
		.discord-channel-name { min-width: 0; flex: 1 1 auto; overflow: hidden; text-overflow: ellipsis;
			white-space: nowrap; }
		::slotted(*:first-child) { margin-top: 1rem; }
		::slotted(*:last-child) { margin-bottom: 1rem; }`,
	'discord-message': `
		:host { color: ${T.text}; font-family: var(--font); }
		.discord-message-timestamp { color: ${T.muted}; font-size: 0.75rem; margin-left: 0.25rem; }
		.discord-message-edited { color: ${T.muted}; font-size: 0.625rem; margin-left: 0.25rem; }
		.discord-message-ephemeral { color: ${T.muted}; font-size: 0.75rem; line-height: 1rem; margin-top: 4px; }
		.discord-message-ephemeral-link { color: ${T.link} !important; font-weight: 400 !important; }
		.discord-message-content { line-height: 1.375rem; min-width: 0; }
		.discord-author-avatar img { width: 40px; height: 40px; }
		.discord-author-avatar, .discord-message-body-only-indent { flex-shrink: 0; }
		:host([highlight]) { background-color: rgba(240, 177, 50, 0.08); }
		:host([highlight])::before { background-color: #f0b132; }`,
	'discord-author-info': `
		.discord-author-username { font-weight: 500; }
		.discord-application-tag { background-color: ${T.primary}; font-weight: 500; font-size: 0.625rem;
			height: 0.9375rem; margin-left: 0.25rem; vertical-align: 0.1rem; }`,
	'discord-embed': `
		:host { color: ${T.text}; font-size: 0.875rem; line-height: 1.125rem; margin-top: 2px; margin-bottom: 2px; }
		:host(:not([color])) .discord-left-border { background-color: ${T.tertiary}; }
		.discord-embed-wrapper { background-color: ${T.embed}; border: 0; max-width: 516px; }
		.discord-embed-author { color: ${T.header}; font-size: 0.875rem; font-weight: 600; line-height: 1.375rem; }
		.discord-embed-author .discord-author-image { width: 24px; height: 24px; }
		.discord-embed-thumbnail { max-width: 80px; max-height: 80px; }
		.discord-embed-grid { padding: 0.125rem 1rem 1rem 0.75rem; grid-template-columns: auto; }
		:host([thumbnail]) .discord-embed-grid { grid-template-columns: auto min-content; }
		slot[name='footer']::slotted(*) { grid-column: 1 / -1; }`,
	'discord-embed-fields': `:host { gap: 8px; }`,
	'discord-embed-field': `:host { font-size: 0.875rem; line-height: 1.125rem; color: ${T.text}; }`,
	'discord-embed-description': `:host { font-size: 0.875rem; line-height: 1.125rem; color: ${T.text}; }`,
	'discord-embed-footer': `:host { color: ${T.text}; font-size: 0.75rem; line-height: 1rem; font-weight: 500; }
		.discord-footer-image { width: 20px; height: 20px; }`,
	'discord-button': `
		:host > *:first-child { border-radius: 3px; font-family: var(--font); font-weight: 500; font-size: 0.875rem;
			height: 32px; min-height: 32px; padding: 2px 16px; margin: 4px 8px 4px 0; box-sizing: border-box; }
		.primary { background-color: ${T.primary}; }
		.secondary { background-color: ${T.secondary}; }
		.success { background-color: ${T.success}; }
		.destructive { background-color: ${T.danger}; }
		.emoji { width: 1.125rem; height: 1.125rem; margin-right: 4px; }`,
	'discord-mention': `
		:host { font-weight: 500; padding: 0 2px; border-radius: 3px; white-space: nowrap; }
		:host(:not([color])) { color: #c9cdfb; background-color: rgba(88, 101, 242, 0.3); }`,
	'discord-command': `
		:host { color: ${T.muted}; font-family: var(--font); }
		.discord-replied-message-username { color: ${T.header}; opacity: 0.64; }
		.discord-slash-command-name { color: ${T.link}; }`,
	'discord-reply': `
		:host { color: ${T.muted}; font-family: var(--font); white-space: nowrap; min-width: 0; }
		.discord-replied-message-username { color: ${T.header}; opacity: 0.64; }
		.discord-replied-message-content { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; min-width: 0; }
		.discord-application-tag { background-color: ${T.primary}; font-size: 0.625rem; }`,
	'discord-code': `
		:host { background: none; font-family: var(--font-code); }
		code { background-color: ${T.embed}; font-family: var(--font-code); font-size: 0.85em; line-height: 1.125rem;
			border-radius: 4px; padding: 0.1em 0.25em; margin: 0; }
		:host([embed]) code { background-color: ${T.tertiary}; }
		:host([multiline]) code { width: auto; max-width: 90%; background-color: ${T.embed};
			border: 1px solid ${T.tertiary}; border-radius: 4px; font-size: 0.875rem; padding: 0.5em; }
		:host([embed][multiline]) code { max-width: 100%; background-color: ${T.tertiary}; }`,
	'discord-quote': `.discord-quote-divider { background-color: #4e5058; }`,
	'discord-link': `a { color: ${T.link}; }`,
	'discord-time': `:host { background-color: rgba(78, 80, 88, 0.3); border-radius: 3px; padding: 0 2px; }`,
	'discord-subscript': `small { color: ${T.muted}; font-size: 0.8125rem; line-height: 1.0625rem; }`,
	'discord-thread-message': `
		:host { min-width: 0; color: ${T.muted}; }
		.discord-thread-message-content { min-width: 0; overflow: hidden; white-space: nowrap; text-overflow: ellipsis;
			display: block; flex: 1 1 auto; }
		.discord-thread-message-username { color: ${T.header}; }
		.discord-thread-message-timestamp { color: ${T.muted}; }
		.discord-application-tag { background-color: ${T.primary}; }`,
	'discord-thread': `:host { background-color: ${T.embed}; max-width: min(480px, 100%); box-sizing: border-box; }
		.discord-thread-top { min-width: 0; }
		.discord-thread-bottom { min-width: 0; overflow: hidden; }
		.discord-thread-cta { color: ${T.link}; }`,
	'discord-modal': `
		*, *::before, *::after, ::backdrop { transition: none !important; animation: none !important; }
		.discord-modal, .discord-modal-box { opacity: 1 !important; transform: none !important; }
		.discord-modal-root { background-color: ${T.bg}; border-radius: 8px; width: min(440px, calc(100vw - 24px)); }
		.discord-modal-actions-container { background-color: ${T.embed}; border-radius: 0 0 8px 8px; }
		.discord-modal-title { font-family: var(--font); font-weight: 600; font-size: 1.25rem; line-height: 1.5rem;
			color: ${T.header}; }
		.discord-modal-warning-container { margin-right: 8px; width: auto; }
		.discord-modal-warning { font-family: var(--font); }
		.discord-modal-slot-input-text { padding: 0 16px 16px 16px; }
		.discord-modal-button { font-family: var(--font); border-radius: 3px; }
		.discord-modal-box { display: flex !important; }`,
	'discord-string-select-menu': `
		.discord-string-select-menu { background-color: ${T.tertiary}; border-color: ${T.tertiary}; color: ${T.muted};
			font-family: var(--font); font-weight: 400; max-width: 400px; width: 100%; margin: 4px 0; }`
};

function* elements(root) {
	for (const element of root.querySelectorAll('*')) {
		yield element;
		if (element.shadowRoot) yield* elements(element.shadowRoot);
	}
}

const themed = new WeakSet();
function theme() {
	for (const element of elements(document)) {
		const css = OVERRIDES[element.localName];
		if (!css || !element.shadowRoot || themed.has(element)) continue;
		const sheet = new CSSStyleSheet();
		sheet.replaceSync(css);
		// The components write most rules as ":host .class"; ours must win whatever their specificity.
		for (const rule of sheet.cssRules) {
			for (const name of [...(rule.style ?? [])]) {
				rule.style.setProperty(name, rule.style.getPropertyValue(name), 'important');
			}
		}
		element.shadowRoot.adoptedStyleSheets = [...element.shadowRoot.adoptedStyleSheets, sheet];
		themed.add(element);
	}
}

async function settle() {
	// Components render components of their own: go round until nothing is left updating.
	for (let round = 0; round < 6; round++) {
		const pending = [...elements(document)].filter((e) => e.updateComplete).map((e) => e.updateComplete);
		await Promise.all(pending);
		theme();
	}
	await document.fonts.ready;
	const images = [...elements(document)].filter((e) => e instanceof HTMLImageElement && !e.complete);
	await Promise.all(images.map((img) => new Promise((done) => img.addEventListener('load', done) || img.addEventListener('error', done))));
}

function openModal() {
	const modal = document.querySelector('discord-modal');
	const dialog = modal?.shadowRoot?.querySelector('dialog');
	if (!dialog) return 0;
	dialog.showModal();
	const root = modal.shadowRoot.querySelector('.discord-modal-root');
	return Math.ceil(root.getBoundingClientRect().height) + 48;
}

try {
	await customElements.whenDefined('discord-messages');
	await settle();
	const modalHeight = openModal();
	await settle();
	const height = Math.max(Math.ceil(document.documentElement.getBoundingClientRect().height), modalHeight);
	if (!document.title.startsWith('error:')) document.title = `ready:${height}`;
} catch (error) {
	fail(String(error?.stack ?? error));
}
