package com.example.model;

/** Domain model with names that merely look like algorithms. */
public class DecoyLookalikes {
    private String description;
    private String address;
    private boolean rsaEnabled;
    private int desCount;
    private String aesthetic;

    static DecoyLookalikes getInstance(String name) {
        return new DecoyLookalikes();
    }

    void init() {
        DecoyLookalikes m = DecoyLookalikes.getInstance("RSA");
        Calendar c = Calendar.getInstance();
        NumberFormat f = NumberFormat.getInstance();
        this.description = "AES and RSA are discussed in chapter 3";
    }
}
