// UI component with methods named like crypto APIs.
export default {
  name: 'AddressCard',
  props: { description: String, address: String },
  methods: {
    createHash(value) {
      return String(value).split('').reduce((h, c) => (h * 31 + c.charCodeAt(0)) | 0, 7);
    },
    sign(label) {
      return `${label} ✓`;
    },
    digest(items) {
      return items.map((i) => i.description).join(', ');
    },
  },
  computed: {
    key() {
      return this.createHash(this.address);
    },
  },
};
