// Shared code of the shop's pages: the API, translations (English, French), rendering helpers
// and the field errors of problem+json answers. Plain ES module, no build step.

export const shopId = () => new URLSearchParams(location.search).get('shop') || 'demo';

const STRINGS = {
  en: {
    catalogue: 'Catalogue', cart: 'Cart', account: 'My account', checkout: 'Checkout',
    all: 'All', add: 'Add to cart', added: 'Added to your cart.', goCheckout: 'Go to checkout',
    search: 'Search', category: 'Category', more: 'Show more', noItems: 'No item matches.',
    allItems: 'See the whole catalogue', signInForItem: 'Sign in to see it', itemGone: 'This item is not offered to you: it may be for signed-in customers (sign in from “My account”), or this link is out of date.',
    previewOnSale: 'Preview: this is how buyers see this item.', previewDraft: 'Preview: buyers do not see this item until it is on sale.',
    previewFor_logged_in: 'Only customers signed in see it.', previewFor_logged_out: 'Only visitors not signed in see it.', previewFor_customers: 'Only customers who bought here before (an order delivered), signed in, see it.',
    quantity: 'Quantity', upTo: 'up to', andMore: 'and more', exclTax: 'excl. tax', inclTax: 'incl. tax',
    unitPrice: 'Unit price', total: 'Total', tax: 'Tax', remove: 'Remove', save: 'Save',
    emptyCart: 'Your cart is empty.', preview: 'Coming soon', password: 'Password',
    stepLines: 'Your cart', stepRequirements: 'Required information', stepParticipants: 'Participants',
    stepCustomer: 'Your details', stepOrder: 'Order', unit: 'Unit',
    participantsHelp: 'Name each participant once, then give each seat to one of them.',
    addParticipant: 'Add a participant', seat: 'Seat', role: 'Role', choose: 'Choose…',
    firstname: 'First name', lastname: 'Last name', email: 'Email', address: 'Address', zip: 'Postcode',
    city: 'City', organisation: 'Organisation', phone: 'Phone',
    haveAccount: 'Already have an account on our learning site? Log in to fill this in.',
    loginProposed: 'An account exists for this email address: log in to use it.',
    username: 'Username or email address', login: 'Log in', logout: 'Log out', loggedInAs: 'Logged in as',
    terms: 'Terms', accept: 'I accept the terms of sale', paymentMethod: 'Payment method',
    placeOrder: 'Place the order', payNow: 'Pay',
    method_test: 'Test payment', method_free: 'Free', method_check: 'Cheque', method_transfer: 'Bank transfer',
    method_paypal: 'PayPal', method_stripe: 'Card (Stripe)', method_systempay: 'Card (Systempay)',
    method_sips: 'Card (Sips)', method_ogone: 'Card (Ogone)',
    bill: 'Your order', status: 'Status', invoice: 'Invoice', invoicePdf: 'Invoice (PDF)',
    confirming: 'Your payment is being confirmed. This page updates by itself.',
    status_PLACED: 'Placed', status_PENDING: 'Awaiting payment', status_PAID: 'Paid — delivering',
    status_PARTIAL: 'Partly paid', status_PREPROD: 'Delivering before payment',
    status_COMPLETE: 'Complete: everything is delivered', status_FAILED: 'Payment failed',
    status_CANCELLED: 'Cancelled', status_REFUNDED: 'Refunded', status_PAYBACK: 'Refund in progress',
    testPay: 'Simulate a successful payment', testFail: 'Simulate a failed payment',
    retry: 'Try again with another method', production: 'Delivery',
    prod_awaiting_payment: 'awaiting payment', prod_cancelled: 'cancelled', prod_queued: 'queued', prod_in_progress: 'in progress',
    prod_done: 'delivered', prod_failed: 'failed', prod_revoked: 'revoked',
    noToken: 'This order can only be opened from the browser that placed it, or with its link.',
    findOrders: 'Find my orders', findOrdersIntro: 'Give the email address you ordered with: we send it the links to your orders.',
    email: 'Email', send: 'Send me the links',
    findOrdersSent: 'If this address has orders at this shop, a message with their links is on its way. Look in your mailbox (and its spam folder).',
    myBills: 'My orders', myProducts: 'My products', mySeats: 'My seats', none: 'Nothing yet.',
    start: 'Start', end: 'End', noEnd: 'no end date', course: 'Course', assign: 'Assign', unassign: 'Unassign',
    holder: 'Holder', unassigned: 'unassigned', state_running: 'running', state_expiring: 'expiring soon',
    state_expired: 'expired', state_suspended: 'suspended', open: 'Open',
    error: 'Something went wrong', fixFields: 'Please correct the highlighted fields.',

    vat_number: 'VAT number (businesses)', e_invalid_vat_number: 'Please use letters and digits only ({max} at most).',
    role_student: 'Learner', role_teacher: 'Trainer (no editing)', role_editingteacher: 'Trainer', role_manager: 'Manager',
    openCourse: 'Open the course',
    badLink: 'This link names no item this shop sells: it may be out of date.',
    required: 'required', requiredNote: 'Fields marked * are required.', continue: 'Continue', back: 'Back',
    progress: 'Checkout steps', stepOf: 'Step {n} of {total}', recap: 'Your order', edit: 'Change',
    method_card: 'Card', via: 'via {provider}', cartCount: '{count} item(s)', refused: 'Some items of your link could not be added to your cart: {codes}.',
    nextHeld: 'Payment received. Part of your order needs a hand from our team: they have been told and will finish it, and we e-mail you as soon as your training is ready. You have nothing to do.',
    askUs: 'A question?', prod_held: 'with our team',
    country: 'Country', nextPaid: 'Payment received. We are setting up your training: this page updates by itself, and we e-mail you when it is ready.',
    nextPending: 'We deliver your training as soon as your payment is received, and e-mail you then.',
    nextPreprod: 'We are setting up your training ahead of your payment, which is still due.', nextPreprodReady: 'Your training is ready. Its payment is still due.', nextComplete: 'Your training is ready.', nextCancelled: 'This order was cancelled: nothing is due.', nextCancelledDelivered: 'This order was cancelled: nothing more is due, and the training it gave access to is closed.', nextRefunded: 'This order was refunded: the training it gave access to is closed.', accessTitle: 'Reach your training', site: 'Open the learning site',
    yourUsername: 'Your username on the learning site: {username}', setPassword: 'No password yet, or forgotten? Choose one here',
    keepLink: 'Keep this link to come back to your order from any device:', copyLink: 'Copy the link', copied: 'Link copied.',
    bought: 'What you ordered', ordered: 'Ordered on', invoiceTitle: 'Invoice', orderForm: 'Order form', creditNote: 'Credit note', partRefundOn: 'Refunded in part on {date}: ',
    holders: 'Held by', reference: 'Reference', paid: 'Paid',
    // Field errors, by the API's `code` ({max} and the like are its parameters).
    e_required: 'Please fill this in.', e_too_long: 'Please use at most {max} characters.',
    e_note_required: 'Say why in the note: this change needs one.',
    e_more_than_due: 'This is more than what remains due ({remaining}).',
    e_refund_too_large: 'Give less than what the order kept ({kept}); to refund all of it, change its status.',
    e_one_line: 'Please write this on a single line.', e_angle_bracket: 'Please leave out the signs < and >.', e_invalid_email: 'Please enter an email address such as name@example.org, without accents or spaces.',
    e_invalid_country: 'Please choose a country from the list.', e_invalid_phone: 'Please use digits, spaces and + - . ( ) only ({max} at most).',
    e_invalid_date: 'Please enter a date.', e_invalid_number: 'Please enter a number.', e_not_an_option: 'Please choose one of the options.',
    e_must_be_checked: 'Please tick this box to go on.', e_unknown_field: 'This field is not expected here.',
    e_listed_twice: 'This person is already listed.', e_not_a_participant: 'Add this person to the participants first.',
    e_seat_taken: 'This person already has a seat for this item.', e_seat_in_course: 'This person already has one of your seats in this course.', e_too_many_seats: '{assigned} seats given, but only {seats} bought.',
    e_too_many: 'At most {max}.', e_not_for_sale: 'This item is not for sale at the moment.',
    e_out_of_stock: 'Only {max} left in stock.', e_over_limit: 'At most {max} per order.',
    e_wrong_password: 'This item needs its password: please check it.', e_invalid_quantity: 'Please enter a quantity of at least 1.',
    e_not_in_cart: 'This item is no longer in your cart.', e_unknown_item: 'This item does not exist in this shop.',
    e_cart_empty: 'Your cart is empty.', e_step_needed: 'Please complete this step first.',
    e_method_unavailable: 'This payment method cannot be used for this order.', e_cart_link_empty: 'This link names no item.',
    // The shop document's rules, met by the staff in the settings and the catalogue editor.
    e_twice: 'This appears twice: keep one.', e_moodle_username: 'Enter a Moodle username: 1 to 100 characters, no space.',
    e_reminder_days: 'Give at most 5 different numbers of days, each from 1 to 365.', e_no_payment_method: 'Offer at least one payment method.',
    e_test_needs_test_mode: 'The test payment can only be offered in test mode.', e_method_not_offered: 'Choose one of the payment methods offered.',
    e_sales_address_required: 'Give the shop’s sales address: buyers’ replies and alerts to the staff go to it.',
    e_sha_out_same: 'The SHA-OUT passphrase must differ from the SHA-IN one.', e_no_stored_secret: 'Nothing is stored for this secret yet: type it.',
    e_gateway_setting_required: 'Fill this in to take payments by this method (or stop offering it).', e_gateway_choice: 'Choose one of: {choices}.',
    e_manager_required: 'Keep at least one manager: without one, nobody could change the catalogue or these settings here.',
    e_no_tax: 'Define at least one tax (a rate of 0 is fine).', e_tax_rate: 'A tax rate is a percentage from 0 to 100.',
    e_tax_in_use: 'The item “{name}” uses a tax removed here: give it another tax first.',
    e_category_in_use: 'The item “{name}” is in a category removed here: move it first.',
    e_no_category: 'There is no category “{category}”.', e_category_cycle: 'A category cannot be within itself, even through other categories.',
    e_currency_code: 'Enter a currency code such as EUR or USD.', e_identifier: 'Use 1 to {max} letters, digits, - or _ (no space).',
    e_code_taken: 'Another item already has this code.', e_at_least_one: 'Enter at least 1.', e_no_tax_code: 'There is no tax “{tax}”.',
    e_price_tiers: 'Give 1 to {max} prices.', e_unit_price_range: 'A unit price is from 0 to {max}.',
    e_last_tier_open: 'The last price applies from there on: leave its “up to” empty.',
    e_tier_bounds: 'Each “up to” must be larger than the one before; only the last is empty.', e_invalid_amount: 'Enter an amount such as 12.50.',
    e_parts_required: 'A set or bundle lists the items it groups.', e_parts_not_allowed: 'Only sets and bundles group other items.',
    e_part_not_product: 'A set or bundle groups products only.',
    e_text_length: 'Write 1 to {max} characters.', e_unknown_placeholder: 'This message does not know {placeholder}; it knows {known}.',
    e_braces: 'Check the braces: a placeholder is a name between braces; write two braces for a brace.',
    e_unknown_handler: 'There is no such delivery.', e_unknown_param: 'This delivery has no setting “{name}”.',
    e_handler_value: 'This value is not accepted for this delivery.', e_course_zero: 'Moodle has no course 0: choose a course.',
    e_front_page: 'This is the site’s front page, not a course: choose a course.',
    e_days_or_end: 'Give a number of days or an end date, not both.', e_role_not_in_course: 'The role “{role}” cannot be given in a course.',
    e_role_only_in_course: 'The role “{role}” is given in a course only.', e_system_instance: 'The whole site needs no course or category.',
    e_instance_required: 'Choose the course or the category.', e_at_least_one_course: 'Choose at least one course.',
    e_course_not_found: 'Moodle has no course “{course}”: save the item as a draft until the course exists.',
    e_json: 'Write this in JSON, e.g. {"name": "value"}.',
    e_choice_options: 'A choice lists its choices; other types have none.',
    e_session_needs_participants: 'A course session enrols the participants the buyer names: name one participant, or one per unit.',
    e_invalid: 'This value is not accepted: please check it.',
    // Moodle's roles in Moodle's words, for the staff who set them up.
    moodle_role_student: 'Student', moodle_role_teacher: 'Non-editing teacher', moodle_role_editingteacher: 'Teacher',
    moodle_role_manager: 'Manager', moodle_role_coursecreator: 'Course creator',
    // Problems without a field, by the problem's `code`.
    p_unauthorized: 'Wrong username or password.', p_too_many_attempts: 'Too many attempts: please wait a few minutes and try again.',
    p_busy: 'The shop is very busy just now: please try again in a moment.',
    p_session_ended: 'Your session has ended: reload the page to sign in again.',
    p_no_answer: 'The shop did not answer: check your connection and try again in a moment.',
    p_invalid_state: 'This can no longer be changed: please reload the page.', p_conflict: 'Someone changed this at the same time: please try again.',
    p_not_found: 'Not found: the link may be out of date.', p_store_unavailable: 'The shop is not answering right now: please try again in a moment.',
    p_unavailable: 'A service we rely on is not answering: please try again in a moment.', p_payload_too_large: 'This is too long.',
    p_malformed_request: 'This could not be read: please reload the page and try again.', p_forbidden: 'Your account may not do this: ask a manager of the shop.',
    p_precondition_failed: 'Someone changed this since you opened it: please reload the page.', p_precondition_required: 'Please reload the page and try again.',
    p_cross_site_request: 'This request came from another site and was refused: please use the shop’s own page.',
    p_method_not_allowed: 'This action is not available here.', p_internal_error: 'Something went wrong on our side: please try again in a moment.',
  },
  fr: {
    catalogue: 'Catalogue', cart: 'Panier', account: 'Mon compte', checkout: 'Commande',
    all: 'Tout', add: 'Ajouter au panier', added: 'Ajouté à votre panier.', goCheckout: 'Passer commande',
    search: 'Rechercher', category: 'Catégorie', more: 'Afficher la suite', noItems: 'Aucun article ne correspond.',
    allItems: 'Voir tout le catalogue', signInForItem: 'Se connecter pour le voir', itemGone: 'Cet article ne vous est pas proposé : il est peut-être réservé aux clients connectés (connectez-vous depuis « Mon compte »), ou ce lien n’est plus à jour.',
    previewOnSale: 'Aperçu : voici l’article tel que les acheteurs le voient.', previewDraft: 'Aperçu : les acheteurs ne verront cet article qu’une fois en vente.',
    previewFor_logged_in: 'Seuls les clients connectés le voient.', previewFor_logged_out: 'Seuls les visiteurs non connectés le voient.', previewFor_customers: 'Seuls les clients connectés dont une commande a déjà été livrée le voient.',
    quantity: 'Quantité', upTo: "jusqu’à", andMore: 'et plus', exclTax: 'HT', inclTax: 'TTC',
    unitPrice: 'Prix unitaire', total: 'Total', tax: 'TVA', remove: 'Retirer', save: 'Enregistrer',
    emptyCart: 'Votre panier est vide.', preview: 'Bientôt disponible', password: 'Mot de passe',
    stepLines: 'Votre panier', stepRequirements: 'Informations requises', stepParticipants: 'Participants',
    stepCustomer: 'Vos coordonnées', stepOrder: 'Validation', unit: 'Unité',
    participantsHelp: 'Nommez chaque participant une fois, puis attribuez chaque place à l’un d’eux.',
    addParticipant: 'Ajouter un participant', seat: 'Place', role: 'Rôle', choose: 'Choisir…',
    firstname: 'Prénom', lastname: 'Nom', email: 'Courriel', address: 'Adresse', zip: 'Code postal',
    city: 'Ville', organisation: 'Organisme', phone: 'Téléphone',
    haveAccount: 'Vous avez déjà un compte sur notre plateforme ? Connectez-vous pour remplir ceci.',
    loginProposed: 'Un compte existe pour cette adresse : connectez-vous pour l’utiliser.',
    username: 'Nom d’utilisateur ou adresse e-mail', login: 'Se connecter', logout: 'Se déconnecter', loggedInAs: 'Connecté en tant que',
    terms: 'Conditions', accept: "J’accepte les conditions de vente", paymentMethod: 'Moyen de paiement',
    placeOrder: 'Passer la commande', payNow: 'Payer',
    method_test: 'Paiement de test', method_free: 'Gratuit', method_check: 'Chèque', method_transfer: 'Virement',
    method_paypal: 'PayPal', method_stripe: 'Carte (Stripe)', method_systempay: 'Carte (Systempay)',
    method_sips: 'Carte (Sips)', method_ogone: 'Carte (Ogone)',
    bill: 'Votre commande', status: 'État', invoice: 'Facture', invoicePdf: 'Facture (PDF)',
    confirming: 'Votre paiement est en cours de confirmation. Cette page se met à jour seule.',
    status_PLACED: 'Enregistrée', status_PENDING: 'En attente de paiement', status_PAID: 'Payée — livraison en cours',
    status_PARTIAL: 'Payée en partie', status_PREPROD: 'Livraison avant paiement',
    status_COMPLETE: 'Terminée : tout est livré', status_FAILED: 'Paiement refusé',
    status_CANCELLED: 'Annulée', status_REFUNDED: 'Remboursée', status_PAYBACK: 'Remboursement en cours',
    testPay: 'Simuler un paiement réussi', testFail: 'Simuler un paiement refusé',
    retry: 'Réessayer avec un autre moyen', production: 'Livraison',
    prod_awaiting_payment: 'en attente du paiement', prod_cancelled: 'annulé', prod_queued: 'en file', prod_in_progress: 'en cours',
    prod_done: 'livré', prod_failed: 'en échec', prod_revoked: 'révoqué',
    noToken: "Cette commande ne s’ouvre que depuis le navigateur qui l’a passée, ou avec son lien.",
    findOrders: 'Retrouver mes commandes', findOrdersIntro: "Indiquez l’adresse e-mail de vos commandes : nous y envoyons leurs liens.",
    email: 'E-mail', send: "M’envoyer les liens",
    findOrdersSent: 'Si cette adresse a des commandes dans cette boutique, un message avec leurs liens est en route. Regardez votre messagerie (et ses indésirables).',
    myBills: 'Mes commandes', myProducts: 'Mes produits', mySeats: 'Mes places', none: 'Rien pour le moment.',
    start: 'Début', end: 'Fin', noEnd: 'sans date de fin', course: 'Cours', assign: 'Attribuer', unassign: 'Retirer',
    holder: 'Titulaire', unassigned: 'non attribuée', state_running: 'actif', state_expiring: 'expire bientôt',
    state_expired: 'expiré', state_suspended: 'suspendu', open: 'Ouvrir',
    error: 'Une erreur est survenue', fixFields: 'Corrigez les champs signalés.',

    vat_number: 'N° de TVA intracommunautaire (entreprises)', e_invalid_vat_number: 'Lettres et chiffres seulement ({max} au plus).',
    role_student: 'Apprenant', role_teacher: 'Formateur (sans édition)', role_editingteacher: 'Formateur', role_manager: 'Gestionnaire',
    openCourse: 'Ouvrir le cours',
    badLink: 'Ce lien ne nomme aucun article de cette boutique : il n’est peut-être plus à jour.',
    required: 'obligatoire', requiredNote: 'Les champs marqués * sont obligatoires.', continue: 'Continuer', back: 'Retour',
    progress: 'Étapes de la commande', stepOf: 'Étape {n} sur {total}', recap: 'Votre commande', edit: 'Modifier',
    method_card: 'Carte bancaire', via: 'via {provider}', cartCount: '{count} article(s)', refused: 'Certains articles de votre lien n’ont pas pu être ajoutés au panier : {codes}.',
    nextHeld: 'Paiement reçu. Une partie de votre commande demande l’intervention de notre équipe : elle est prévenue et la termine, et nous vous écrivons dès que votre formation est prête. Vous n’avez rien à faire.',
    askUs: 'Une question ?', prod_held: 'avec notre équipe',
    country: 'Pays', nextPaid: 'Paiement reçu. Nous préparons votre formation : cette page se met à jour seule, et nous vous écrivons dès qu’elle est prête.',
    nextPending: 'Nous livrons votre formation dès réception de votre paiement, et vous écrivons à ce moment-là.',
    nextPreprod: 'Nous préparons votre formation avant votre paiement, qui reste dû.', nextPreprodReady: 'Votre formation est prête. Son paiement reste dû.', nextComplete: 'Votre formation est prête.', nextCancelled: 'Cette commande a été annulée : rien n’est dû.', nextCancelledDelivered: 'Cette commande a été annulée : plus rien n’est dû, et la formation à laquelle elle donnait accès est fermée.', nextRefunded: 'Cette commande a été remboursée : l’accès à la formation est fermé.', accessTitle: 'Accéder à votre formation', site: 'Ouvrir la plateforme de formation',
    yourUsername: 'Votre identifiant sur la plateforme : {username}', setPassword: 'Pas encore de mot de passe, ou oublié ? Choisissez-le ici',
    keepLink: 'Gardez ce lien pour revenir à votre commande depuis n’importe quel appareil :', copyLink: 'Copier le lien', copied: 'Lien copié.',
    bought: 'Ce que vous avez commandé', ordered: 'Commandée le', invoiceTitle: 'Facture', orderForm: 'Bon de commande', creditNote: 'Avoir', partRefundOn: 'Remboursement partiel du {date} : ',
    holders: 'Attribuée à', reference: 'Référence', paid: 'Payée',
    e_required: 'Veuillez remplir ce champ.', e_too_long: '{max} caractères au plus, s’il vous plaît.',
    e_note_required: 'Indiquez pourquoi dans la note : ce changement en demande une.',
    e_more_than_due: 'C’est plus que le reste dû ({remaining}).',
    e_refund_too_large: 'Indiquez moins que ce que la commande a conservé ({kept}) ; pour tout rembourser, changez son état.',
    e_one_line: 'Veuillez écrire ceci sur une seule ligne.', e_angle_bracket: 'Veuillez ne pas utiliser les signes < et >.', e_invalid_email: 'Veuillez saisir une adresse e-mail, par exemple nom@exemple.fr, sans accents ni espaces.',
    e_invalid_country: 'Veuillez choisir un pays dans la liste.', e_invalid_phone: 'Chiffres, espaces et + - . ( ) seulement ({max} au plus).',
    e_invalid_date: 'Veuillez saisir une date.', e_invalid_number: 'Veuillez saisir un nombre.', e_not_an_option: 'Veuillez choisir l’une des options.',
    e_must_be_checked: 'Cochez cette case pour continuer.', e_unknown_field: 'Ce champ n’est pas attendu ici.',
    e_listed_twice: 'Cette personne figure déjà dans la liste.', e_not_a_participant: 'Ajoutez d’abord cette personne aux participants.',
    e_seat_taken: 'Cette personne a déjà une place pour cet article.', e_seat_in_course: 'Cette personne a déjà l’une de vos places dans ce cours.', e_too_many_seats: '{assigned} places attribuées, mais {seats} seulement achetées.',
    e_too_many: '{max} au plus.', e_not_for_sale: 'Cet article n’est pas en vente pour le moment.',
    e_out_of_stock: 'Il n’en reste que {max} en stock.', e_over_limit: '{max} au plus par commande.',
    e_wrong_password: 'Cet article demande son mot de passe : vérifiez-le.', e_invalid_quantity: 'Veuillez saisir une quantité d’au moins 1.',
    e_not_in_cart: 'Cet article n’est plus dans votre panier.', e_unknown_item: 'Cet article n’existe pas dans cette boutique.',
    e_cart_empty: 'Votre panier est vide.', e_step_needed: 'Veuillez d’abord terminer cette étape.',
    e_method_unavailable: 'Ce moyen de paiement ne peut pas servir pour cette commande.', e_cart_link_empty: 'Ce lien ne nomme aucun article.',
    e_twice: 'Cette valeur figure deux fois : n’en gardez qu’une.', e_moodle_username: 'Saisissez un identifiant Moodle : 1 à 100 caractères, sans espace.',
    e_reminder_days: 'Indiquez au plus 5 nombres de jours différents, chacun de 1 à 365.', e_no_payment_method: 'Proposez au moins un moyen de paiement.',
    e_test_needs_test_mode: 'Le paiement de test n’est possible qu’en mode test.', e_method_not_offered: 'Choisissez l’un des moyens de paiement proposés.',
    e_sales_address_required: 'Indiquez l’adresse commerciale de la boutique : les réponses des acheteurs et les alertes de l’équipe y arrivent.',
    e_sha_out_same: 'La phrase secrète SHA-OUT doit différer de la phrase SHA-IN.', e_no_stored_secret: 'Aucun secret n’est encore enregistré ici : saisissez-le.',
    e_gateway_setting_required: 'Renseignez ce réglage pour encaisser par ce moyen de paiement (ou cessez de le proposer).', e_gateway_choice: 'Choisissez parmi : {choices}.',
    e_manager_required: 'Gardez au moins un responsable : sans lui, personne ne pourrait plus modifier le catalogue ni ces réglages ici.',
    e_no_tax: 'Définissez au moins une taxe (un taux de 0 convient).', e_tax_rate: 'Un taux de taxe est un pourcentage de 0 à 100.',
    e_tax_in_use: 'L’article « {name} » utilise une taxe retirée ici : donnez-lui d’abord une autre taxe.',
    e_category_in_use: 'L’article « {name} » est dans une catégorie retirée ici : déplacez-le d’abord.',
    e_no_category: 'Il n’y a pas de catégorie « {category} ».', e_category_cycle: 'Une catégorie ne peut pas être dans elle-même, même par d’autres catégories.',
    e_currency_code: 'Saisissez un code de devise comme EUR ou USD.', e_identifier: 'Utilisez 1 à {max} lettres, chiffres, - ou _ (sans espace).',
    e_code_taken: 'Un autre article porte déjà ce code.', e_at_least_one: 'Saisissez au moins 1.', e_no_tax_code: 'Il n’y a pas de taxe « {tax} ».',
    e_price_tiers: 'Indiquez 1 à {max} prix.', e_unit_price_range: 'Un prix unitaire va de 0 à {max}.',
    e_last_tier_open: 'Le dernier prix s’applique au-delà : laissez son « jusqu’à » vide.',
    e_tier_bounds: 'Chaque « jusqu’à » doit dépasser le précédent ; seul le dernier est vide.', e_invalid_amount: 'Saisissez un montant, par exemple 12,50.',
    e_parts_required: 'Un groupe ou un lot liste les articles qu’il réunit.', e_parts_not_allowed: 'Seuls les groupes et les lots réunissent d’autres articles.',
    e_part_not_product: 'Un groupe ou un lot ne réunit que des produits.',
    e_text_length: 'Écrivez de 1 à {max} caractères.', e_unknown_placeholder: 'Ce message ne connaît pas {placeholder} ; il connaît {known}.',
    e_braces: 'Vérifiez les accolades : un champ à remplacer est un nom entre accolades ; écrivez-en deux pour une accolade.',
    e_unknown_handler: 'Cette livraison n’existe pas.', e_unknown_param: 'Cette livraison n’a pas de réglage « {name} ».',
    e_handler_value: 'Cette valeur n’est pas acceptée pour cette livraison.', e_course_zero: 'Moodle n’a pas de cours 0 : choisissez un cours.',
    e_front_page: 'C’est la page d’accueil du site, pas un cours : choisissez un cours.',
    e_days_or_end: 'Indiquez un nombre de jours ou une date de fin, pas les deux.', e_role_not_in_course: 'Le rôle « {role} » ne se donne pas dans un cours.',
    e_role_only_in_course: 'Le rôle « {role} » ne se donne que dans un cours.', e_system_instance: 'Tout le site : ni cours ni catégorie à choisir.',
    e_instance_required: 'Choisissez le cours ou la catégorie.', e_at_least_one_course: 'Choisissez au moins un cours.',
    e_course_not_found: 'Moodle n’a pas de cours « {course} » : enregistrez l’article comme brouillon jusqu’à ce que le cours existe.',
    e_json: 'Écrivez ceci en JSON, par exemple {"nom": "valeur"}.',
    e_choice_options: 'Une liste de choix énumère ses choix ; les autres types n’en ont pas.',
    e_session_needs_participants: 'Une session de cours inscrit les participants que l’acheteur nomme : nommez un participant, ou un par unité.',
    e_invalid: 'Cette valeur n’est pas acceptée : vérifiez-la.',
    moodle_role_student: 'Étudiant', moodle_role_teacher: 'Enseignant non éditeur', moodle_role_editingteacher: 'Enseignant',
    moodle_role_manager: 'Gestionnaire', moodle_role_coursecreator: 'Créateur de cours',
    p_unauthorized: 'Nom d’utilisateur ou mot de passe incorrect.', p_too_many_attempts: 'Trop de tentatives : patientez quelques minutes puis réessayez.',
    p_busy: 'La boutique est très demandée en ce moment : réessayez dans un instant.',
    p_session_ended: 'Votre session a pris fin : rechargez la page pour vous reconnecter.',
    p_no_answer: 'La boutique n’a pas répondu : vérifiez votre connexion et réessayez dans un instant.',
    p_invalid_state: 'Ceci ne peut plus être modifié : rechargez la page.', p_conflict: 'Quelqu’un a modifié ceci en même temps : réessayez.',
    p_not_found: 'Introuvable : le lien n’est peut-être plus à jour.', p_store_unavailable: 'La boutique ne répond pas pour le moment : réessayez dans un instant.',
    p_unavailable: 'Un service dont nous dépendons ne répond pas : réessayez dans un instant.', p_payload_too_large: 'C’est trop long.',
    p_malformed_request: 'Ceci n’a pas pu être lu : rechargez la page puis réessayez.', p_forbidden: 'Votre compte ne peut pas faire ceci : demandez à un responsable de la boutique.',
    p_precondition_failed: 'Quelqu’un a modifié ceci depuis que vous l’avez ouvert : rechargez la page.', p_precondition_required: 'Rechargez la page puis réessayez.',
    p_cross_site_request: 'Cette demande venait d’un autre site et a été refusée : utilisez la page de la boutique.',
    p_method_not_allowed: 'Cette action n’est pas disponible ici.', p_internal_error: 'Une erreur s’est produite de notre côté : réessayez dans un instant.',
  },
};

export const lang = () => {
  const asked = new URLSearchParams(location.search).get('lang');
  if (asked === 'en' || asked === 'fr') localStorage.setItem('enrolshop.lang', asked);
  const kept = localStorage.getItem('enrolshop.lang');
  if (kept === 'en' || kept === 'fr') return kept;
  return (navigator.language || 'en').toLowerCase().startsWith('fr') ? 'fr' : 'en';
};

/** The cart in the page's language, which its bill's messages and documents will use. */
export async function inPageLanguage(cart) {
  if (cart.language === lang()) return cart;
  try { return await api('PUT', `/carts/${cart.id}/language`, { language: lang() }); } catch { return cart; }
}

/** Whether the pages have words of their own for `key` in `language` (checked by words.test.mjs). */
export const knows = (language, key) => Object.hasOwn(STRINGS[language], key);

export const t = (key) => STRINGS[lang()][key] ?? STRINGS.en[key] ?? key;

/** A label before its value: `Status: `, `État : ` (French puts a space before the colon). */
export const colon = (key) => (lang() === 'fr' ? `${t(key)} : ` : `${t(key)}: `);

/** A text with `{name}` parameters filled in. */
export const tf = (key, params) => t(key).replace(/\{(\w+)\}/g, (_, k) => String(params[k] ?? ''));

/** Creates an element: h('p', {class: 'x'}, 'text', child). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v === null || v === undefined) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'value') el.value = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat(Infinity)) {
    if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

/** Replaces an element's children, skipping empty ones (null, false). */
export function fill(el, ...children) {
  el.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
}

/** A labelled field; `path` is the API's error path, so errors land next to it. A required
 * field says so (a star in its label, explained at the top of its form). */
export function field(label, input, path, { required = false } = {}) {
  const id = `f-${Math.random().toString(36).slice(2)}`;
  input.id = id;
  if (path) input.dataset.path = path;
  if (required) input.setAttribute('aria-required', 'true');
  return h('div', { class: 'field' },
    h('label', { for: id }, label, required ? h('span', { class: 'star', 'aria-hidden': 'true' }, ' *') : null),
    input, h('span', { class: 'error' }));
}

/**
 * A link to keep or give: shown whole (selectable on any device) with a button that copies it.
 * `words`: the box's label, the button's and what is said once copied.
 */
export function copyBox(link, { label, copy, copied }) {
  const box = h('input', { readonly: true, value: link, 'aria-label': label });
  const said = h('span', { class: 'muted', role: 'status' });
  const copyIt = async () => {
    box.select();
    try { await navigator.clipboard.writeText(link); said.textContent = copied; } catch { /* selected: the reader copies */ }
  };
  return h('div', { class: 'keep' }, box, h('button', { type: 'button', class: 'secondary', onclick: copyIt }, copy), said);
}

/** A problem+json answer. */
export class Problem extends Error {
  constructor(status, body) {
    super(body?.detail || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
  }
}

/** The JSON the shop answered, and the answer. What the shop did not write — API Gateway's
 * 429 when a route is over its rate limit, CloudFront's error page, no answer at all — becomes
 * a problem the pages say in their words: `busy` (429) or `no_answer`. */
export async function fetchJson(path, init) {
  let r;
  try {
    r = await fetch(path, init);
  } catch {
    throw new Problem(0, { code: 'no_answer' });
  }
  const text = await r.text();
  let json;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = undefined;
  }
  if (!r.ok) {
    const body = json?.code ? json : { code: r.status === 429 ? 'busy' : 'no_answer' };
    // A staff request refused for want of a session, not a sign-in refused: the session ended
    // (10 hours, or signed out elsewhere), which "wrong username or password" would not say.
    const ended = r.status === 401 && path.startsWith('/admin/') && path !== '/admin/login';
    throw new Problem(r.status, ended ? { ...body, code: 'session_ended' } : body);
  }
  if (json === undefined) throw new Problem(r.status, { code: 'no_answer' });
  return { json, r };
}

export async function api(method, path, body, token) {
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  return (await fetchJson(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })).json;
}

const AMOUNTS = ['remaining', 'kept'];

/** A field error in the page's words: its `code` translated, its parameters put in. */
export function reasonText(e) {
  const known = STRINGS[lang()][`e_${e.code}`];
  // A rule without a code of its own (mostly the shop document's, met by the staff): its
  // English sentence on an English page and on the staff's pages (which name what is wrong,
  // e.g. the item using a tax); the general words on a buyer's French page.
  const staff = location.pathname.startsWith('/admin');
  if ((!known || e.code === 'invalid') && e.reason && (lang() === 'en' || staff)) return e.reason;
  const text = known ?? STRINGS[lang()].e_invalid;
  // A name given per language (`names`, e.g. the item a removed tax leaves without one) and a
  // Moodle role are said in the page's.
  // An amount beside its `currency` (what remains due, what a bill kept) in the page's locale.
  const param = (k) => (k === 'name' && e.names?.[lang()]) || (k === 'role' && STRINGS[lang()][`moodle_role_${e.role}`])
    || (AMOUNTS.includes(k) && e.currency && money(e[k], e.currency)) || e[k];
  return text.replace(/\{(\w+)\}/g, (_, k) => String(param(k) ?? ''));
}

/** A problem without a field, in the page's words (by its `code`). */
export function problemText(problem) {
  const known = STRINGS[lang()][`p_${problem?.body?.code}`];
  const detail = problem?.body?.detail;
  if (known) return known;
  return detail && (lang() === 'en' || location.pathname.startsWith('/admin')) ? detail : t('error');
}

/** Shows a problem's errors next to the fields they name (tied to them by
 * `aria-describedby`); the rest in `banner`. */
export function showProblem(root, problem, banner) {
  clearProblem(root, banner);
  const left = [];
  for (const e of problem.body?.errors || []) {
    const input = root.querySelector(`[data-path="${CSS.escape(e.field)}"]`);
    // A list's own error (`staff`: its fieldset) goes to the list's slot, not its first row's.
    const box = input?.closest('.field, .picker, fieldset, td');
    const slot = box?.querySelector(':scope > .error') ?? box?.querySelector('.error');
    if (slot) {
      input.setAttribute('aria-invalid', 'true');
      if (!slot.id) slot.id = `err-${Math.random().toString(36).slice(2)}`;
      input.setAttribute('aria-describedby', slot.id);
      slot.textContent = reasonText(e);
    } else {
      left.push(reasonText(e));
    }
  }
  const placed = (problem.body?.errors || []).length - left.length;
  banner.textContent = left.length ? [...new Set(left)].join(' · ') : placed ? t('fixFields') : problemText(problem);
  banner.hidden = false;
  (root.querySelector('[aria-invalid]') || banner).focus?.();
}

export function clearProblem(root, banner) {
  root.querySelectorAll('.error').forEach((e) => { e.textContent = ''; });
  root.querySelectorAll('[aria-invalid]').forEach((e) => { e.removeAttribute('aria-invalid'); e.removeAttribute('aria-describedby'); });
  banner.hidden = true;
}

const locale = () => (lang() === 'fr' ? 'fr-FR' : 'en-GB');

/** An amount (the API's decimal string, formatted exactly: no float) as the page's language
 * writes it: `1 203,75 €`, `€1,203.75`. */
export const money = (amount, currency) => new Intl.NumberFormat(locale(), { style: 'currency', currency }).format(String(amount));

/** A tax rate as the page's language writes it: `5,5 %`, `5.5%`. */
export const percent = (rate) => new Intl.NumberFormat(locale(), { style: 'percent', maximumFractionDigits: 3 }).format(`${rate}E-2`);

// ISO 3166 countries, named in the page's language by the browser.
const COUNTRIES = 'AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW'.split(' ');

/** A country's name in the page's language (`FR` → "France"), or its code if unknown. */
export const countryName = (code) => (code ? new Intl.DisplayNames([lang()], { type: 'region' }).of(code) ?? code : '');

/** The options of a country list, sorted by their names in the page's language. */
export function countryOptions(selected) {
  const names = new Intl.DisplayNames([lang()], { type: 'region' });
  return COUNTRIES.map((code) => [code, names.of(code)])
    .sort((a, b) => a[1].localeCompare(b[1], lang()))
    .map(([code, name]) => h('option', { value: code, selected: code === selected }, name));
}

const CARDS = ['stripe', 'systempay', 'sips', 'ogone'];

/** A payment method named by what the buyer does ("Card"); the card provider as a detail
 * when the shop offers several. */
export function methodLabel(method, offered) {
  if (!CARDS.includes(method)) return [t(`method_${method}`)];
  const cards = offered.filter((m) => CARDS.includes(m)).length;
  const provider = { stripe: 'Stripe', systempay: 'Systempay', sips: 'Sips', ogone: 'Ogone' }[method];
  return [t('method_card'), cards > 1 ? h('span', { class: 'muted' }, ` (${tf('via', { provider })})`) : null];
}

export const date = (iso) => (iso ? new Date(iso).toLocaleDateString(lang() === 'fr' ? 'fr-FR' : 'en-GB') : t('noEnd'));

let tabShop; // the shop's name in the tab's title, while the title follows the heading
let tabWatch;

/** Keeps the browser tab's title on the page's heading, then the shop's name ("Panier · Demo
 * Training Academy"): a tab, a bookmark and a screen reader's first words say which page it is.
 * `null`: the page sets its title itself. */
export function titleFollowsHeading(shopName) {
  tabShop = shopName;
  if (!shopName) { tabWatch?.disconnect(); tabWatch = undefined; return; }
  const follow = () => {
    const heading = document.querySelector('h1')?.textContent.trim();
    const title = heading ? `${heading} · ${tabShop}` : tabShop;
    if (document.title !== title) document.title = title;
  };
  follow();
  if (!tabWatch) {
    tabWatch = new MutationObserver(follow);
    tabWatch.observe(document.body, { childList: true, subtree: true, characterData: true });
  }
}

/** The page header: shop name, navigation (the cart with its count and total), language. */
export function header(shopName) {
  const shop = shopId();
  const switchTo = (l) => { localStorage.setItem('enrolshop.lang', l); location.reload(); };
  document.documentElement.lang = lang();
  titleFollowsHeading(shopName || shop);
  const kept = localStorage.getItem(cartKey(shop));
  if (kept) api('GET', `/carts/${kept}`).then(showCart).catch(() => {});
  return h('header', {},
    h('a', { class: 'brand', href: `/?shop=${shop}` }, shopName || shop),
    h('nav', {},
      h('a', { href: `/?shop=${shop}` }, t('catalogue')),
      h('a', { href: `/checkout?shop=${shop}`, id: 'nav-cart' }, t('cart')),
      h('a', { href: `/account?shop=${shop}` }, t('account')),
      h('button', { type: 'button', class: 'lang', lang: 'en', title: 'English', onclick: () => switchTo('en') }, 'EN'),
      h('button', { type: 'button', class: 'lang', lang: 'fr', title: 'Français', onclick: () => switchTo('fr') }, 'FR')));
}

/** The header's cart link: how many units, for how much (incl. tax). */
export function showCart(cart) {
  const link = document.getElementById('nav-cart');
  if (!link || !cart) return;
  const count = cart.lines.reduce((n, l) => n + l.quantity, 0);
  fill(link, t('cart'), count ? h('span', { class: 'badge' }, ` · ${tf('cartCount', { count })} · ${money(cart.totals.incl_tax, cart.currency)}`) : null);
  link.href = `/checkout?shop=${cart.shop}&cart=${cart.id}`;
}

export const cartKey = (shop) => `enrolshop.cart.${shop}`;
export const billKey = (bill) => `enrolshop.bill.${bill}`;

/** Follows a payment action: leave for the gateway, or come back to the bill page. */
export function handOff(shop, bill, token, action) {
  localStorage.setItem(billKey(bill), token);
  if (action?.type === 'redirect') {
    location.assign(action.url);
  } else if (action?.type === 'form' && /^https?:/.test(action.url)) {
    const form = h('form', { method: 'post', action: action.url });
    for (const [k, v] of Object.entries(action.fields || {})) form.append(h('input', { type: 'hidden', name: k, value: v }));
    document.body.append(form);
    form.submit();
  } else {
    // The token in the fragment (no server sees it): the address bar holds the full link.
    location.assign(`/bill?shop=${shop}&bill=${bill}#token=${encodeURIComponent(token)}`);
  }
}
