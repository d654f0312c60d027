// A tiny single-page app: routes change with history.pushState, so the Pulse
// script counts each as a pageview without any call from here.
const routes = {
  '/': () => '<h1>Welcome to Acme Shop</h1><p>Everything you need, nothing you don\'t.</p>',
  '/products': () => '<h1>Products</h1><ul><li>Rocket skates</li><li>Giant magnet</li></ul>',
  '/cart': () => '<h1>Your cart</h1><p>2 items, 49.00 EUR</p>',
  '/checkout': () =>
    '<h1>Checkout</h1><p>Total: 49.00 EUR</p><button id="buy" type="button">Pay 49.00 EUR</button>',
};

function render() {
  const view = routes[location.pathname] || (() => '<h1>Not found</h1>');
  document.getElementById('view').innerHTML = view();
  document.title = `Acme Shop: ${location.pathname}`;
}

document.addEventListener('click', (event) => {
  const link = event.target.closest('a[data-route]');
  if (link && !event.metaKey && !event.ctrlKey && event.button === 0) {
    event.preventDefault();
    if (link.pathname !== location.pathname) history.pushState({}, '', link.pathname);
    render();
  }
  if (event.target.id === 'buy') {
    // A custom event with props and revenue.
    pulse('track', 'purchase', { plan: 'pro', items: 2 }, { revenue: { amount: 49, currency: 'EUR' } });
    event.target.textContent = 'Thank you!';
  }
});
addEventListener('popstate', render);
render();
